/**
 * Per-test views against a real server: fresh credentials with the issued markers, read-back
 * scoped to them (repeatable `account`, `shared_after`), explicit `account` overriding the scope,
 * near misses kept in scope, faults removed at the end.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { FakeServices, WaitTimeout } from "fakeservices";

import { pay, sendgrid, unique, useServer } from "./support.js";

const harness = useServer();
const client = (): FakeServices => new FakeServices(harness.server.url);

/** A key no test was issued: its mail lands in a shared account. */
const SHARED_KEY = "SG.shared-team-key";

describe("fresh credentials", () => {
  it("carry the markers the server recognises as issued per test", async () => {
    const t = await client().forTest();
    assert.match(t.stripeKey, /^sk_test_fs[0-9a-f]{16}$/);
    assert.match(t.twilioSid, /^ACfa4e[0-9a-f]{28}$/);
    assert.equal(t.twilioSid.length, 34);
    assert.match(t.emailApiKey, /^SG\.fs[0-9a-f]{16}$/);
    assert.match(t.smtpUser, /^fs-[0-9a-f]{16}$/);
    assert.deepEqual(t.accounts, [t.stripeKey, t.twilioSid, t.emailApiKey, t.smtpUser]);
    const other = await client().forTest();
    assert.notEqual(other.stripeKey, t.stripeKey);
    assert.notEqual(other.twilioSid, t.twilioSid);
  });
});

describe("scoped read-back", () => {
  it("sees its own accounts and shared mail sent after it began, nothing else", async () => {
    const fake = client();
    const to = unique("scope");
    await sendgrid(fake.url, SHARED_KEY, { to, subject: "shared, before", text: "x" });
    const a = await fake.forTest();
    const b = await fake.forTest();
    await sendgrid(fake.url, a.emailApiKey, { to, subject: "a's", text: "x" });
    await sendgrid(fake.url, b.emailApiKey, { to, subject: "b's", text: "x" });
    await sendgrid(fake.url, SHARED_KEY, { to, subject: "shared, after", text: "x" });

    const subjects = async (f: FakeServices, filters = {}): Promise<(string | null)[]> =>
      (await f.emails.list({ to, ...filters })).map((m) => m.subject);
    assert.deepEqual(await subjects(a), ["a's", "shared, after"]);
    assert.deepEqual(await subjects(b), ["b's", "shared, after"]);
    // An explicit account replaces the scope for that call; unscoped sees everything.
    assert.deepEqual(await subjects(a, { account: b.emailApiKey }), ["b's"]);
    assert.deepEqual(await subjects(a.unscoped), ["shared, before", "a's", "b's", "shared, after"]);
    // Repeatable account.
    assert.deepEqual(await subjects(fake, { account: [a.emailApiKey, b.emailApiKey] }), ["a's", "b's"]);
    // scoped() on a plain client: the same contract.
    const view = fake.scoped({ accounts: [b.emailApiKey], after: a.startSeq });
    assert.deepEqual(await subjects(view), ["b's", "shared, after"]);
    assert.deepEqual(await subjects(fake.scoped({ accounts: [b.emailApiKey] })), ["b's"]);
  });

  it("scopes waits, and their near misses stay within the scope", async () => {
    const fake = client();
    const to = unique("near");
    const a = await fake.forTest();
    const b = await fake.forTest();
    await sendgrid(fake.url, b.emailApiKey, { to, subject: "b's secret", text: "x" });
    await sendgrid(fake.url, a.emailApiKey, { to, subject: "a's own", text: "x" });
    const error = await a.emails
      .wait({ to, subject: "never", timeout: 0.2 })
      .then(() => assert.fail("resolved"), (e: unknown) => e);
    assert.ok(error instanceof WaitTimeout);
    assert.equal(error.matched, 0);
    const shown = JSON.stringify(error.recent);
    assert.ok(shown.includes("a's own"), shown);
    assert.ok(!shown.includes("b's secret"), shown);
    const [mine] = await a.emails.wait({ to, timeout: 5 });
    assert.equal(mine?.subject, "a's own");
  });

  it("scopes Stripe events to the test's key", async () => {
    const fake = client();
    const a = await fake.forTest();
    const b = await fake.forTest();
    const paid = await pay(fake.url, a.stripeKey);
    await pay(fake.url, b.stripeKey);
    const events = await a.stripeEvents.wait({ type: "payment_intent.succeeded" });
    assert.deepEqual(events.map((e) => e.data.object.id), [paid.body.id]);
    assert.equal((await a.requests.list({ service: "stripe" })).length, 1);
  });
});

describe("the test's faults", () => {
  it("are removed by end() and by `await using`", async () => {
    const fake = client();
    let ids: string[];
    {
      await using t = await fake.forTest();
      const first = await t.faults.add({
        service: "stripe",
        match: { account: t.stripeKey },
        action: { type: "error", status: 503 },
      });
      const second = await t.faults.add({
        service: "sms",
        match: { account: t.twilioSid },
        action: { type: "error", status: 500 },
      });
      ids = [first.id, second.id];
      assert.equal((await pay(fake.url, t.stripeKey)).status, 503);
    }
    const left = (await fake.faults.list()).map((r) => r.id);
    assert.deepEqual(left.filter((id) => ids.includes(id)), []);

    const t = await fake.forTest();
    const rule = await t.faults.add({ service: "stripe", match: { account: t.stripeKey }, action: { type: "error", status: 500 } });
    await t.end();
    assert.ok(!(await fake.faults.list()).some((r) => r.id === rule.id));
  });
});
