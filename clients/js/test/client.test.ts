/** The client against a real `fakeservices serve`: read-back, waits, faults, errors, reset. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  FakeServices,
  FakeServicesError,
  WaitTimeout,
  type Email,
  type FaultRule,
} from "fakeservices";

import { pay, receiver, sendgrid, stripe, twilioSms, unique, useServer } from "./support.js";

const harness = useServer();
const client = (): FakeServices => new FakeServices(harness.server.url);

describe("health and reset", () => {
  it("reports the ports the server printed", async () => {
    const health = await client().health();
    assert.equal(health.status, "ok");
    assert.equal(`http://127.0.0.1:${health.http_port}`, harness.server.url);
    assert.equal(health.smtp_port, harness.server.smtpPort);
    assert.equal(typeof health.seq, "number");
  });

  it("finds the SMTP listener through health, or takes it from the options", async () => {
    assert.deepEqual(await client().smtpAddress(), {
      host: "127.0.0.1",
      port: harness.server.smtpPort,
    });
    const configured = new FakeServices(harness.server.url, { smtp: "mail.internal:2525" });
    assert.deepEqual(await configured.smtpAddress(), { host: "mail.internal", port: 2525 });
    const env = FakeServices.fromEnv(harness.server.env);
    assert.equal(env.url, harness.server.url);
    assert.deepEqual(await env.smtpAddress(), {
      host: harness.server.smtpHost,
      port: harness.server.smtpPort,
    });
  });

  it("resets one account and leaves the others", async () => {
    const fake = client();
    const mine = fake.credentials();
    const other = fake.credentials();
    const to = unique("reset");
    assert.equal((await sendgrid(fake.url, mine.emailApiKey, { to, subject: "a", text: "a" })).status, 202);
    assert.equal((await sendgrid(fake.url, other.emailApiKey, { to, subject: "b", text: "b" })).status, 202);
    await fake.reset({ account: mine.emailApiKey });
    const left = await fake.emails.list({ to });
    assert.deepEqual(left.map((m) => m.account), [other.emailApiKey]);
  });
});

describe("emails", () => {
  it("lists, gets, reads raw and deletes with the admin filters", async () => {
    const fake = client();
    const { emailApiKey } = fake.credentials();
    const to = unique("list");
    await sendgrid(fake.url, emailApiKey, { to, subject: "Welcome, Ann", text: "Hello Ann" });
    await sendgrid(fake.url, emailApiKey, { to, subject: "Receipt", text: "Paid" });

    const all = await fake.emails.list({ to, account: emailApiKey });
    assert.deepEqual(all.map((m) => m.subject), ["Welcome, Ann", "Receipt"]);
    const [welcome] = await fake.emails.list({ to, subject: "welcome" });
    assert.equal(welcome?.source, "sendgrid");
    assert.equal(welcome?.text?.trim(), "Hello Ann");
    assert.deepEqual((await fake.emails.get(welcome!.id)).subject, "Welcome, Ann");
    const raw = new TextDecoder().decode(await fake.emails.raw(welcome!.id));
    assert.match(raw, /^Subject: Welcome, Ann\r?$/m);

    const page = await fake.emails.page({ to, limit: 1 });
    assert.equal(page.data.length, 1);
    assert.equal(page.has_more, true);
    const next = await fake.emails.list({ to, after: page.next_after });
    assert.deepEqual(next.map((m) => m.subject), ["Receipt"]);

    assert.equal(await fake.emails.delete({ to, subject: "receipt" }), 1);
    assert.deepEqual((await fake.emails.list({ to })).map((m) => m.subject), ["Welcome, Ann"]);
  });

  it("waits past a cursor: only what arrives after `after` resolves it", async () => {
    const fake = client();
    const { emailApiKey } = fake.credentials();
    const to = unique("wait");
    await sendgrid(fake.url, emailApiKey, { to, subject: "Earlier", text: "x" });
    const { seq } = await fake.health();
    const waiting = fake.emails.wait({ to, after: seq, timeout: 10 });
    await sendgrid(fake.url, emailApiKey, { to, subject: "Later", text: "x" });
    const mails = await waiting;
    assert.deepEqual(mails.map((m) => m.subject), ["Later"]);
  });

  it("rejects a wait that times out with WaitTimeout carrying matched and recent", async () => {
    const fake = client();
    const { emailApiKey } = fake.credentials();
    const alice = unique("alice");
    await sendgrid(fake.url, emailApiKey, { to: alice, subject: "Hi", text: "x" });
    const bob = unique("bob");
    const error = await fake.emails
      .wait({ to: bob, account: emailApiKey, timeout: 0.2 })
      .then(() => assert.fail("the wait resolved"), (e: unknown) => e);
    assert.ok(error instanceof WaitTimeout);
    assert.ok(error instanceof FakeServicesError);
    assert.equal(error.status, 408);
    assert.equal(error.code, "wait_timeout");
    assert.equal(error.matched, 0);
    assert.deepEqual(error.recent.map((r) => r.to), [alice]);
    assert.match(error.message, new RegExp(`matched.*${alice.replace(/[.]/g, "\\.")}`, "s"));
  });

  it("waits for count items and answers as soon as they exist", async () => {
    const fake = client();
    const { emailApiKey } = fake.credentials();
    const to = unique("count");
    for (const n of [1, 2, 3]) await sendgrid(fake.url, emailApiKey, { to, subject: `#${n}`, text: "x" });
    const mails: Email[] = await fake.emails.wait({ to, count: 3, timeout: 5 });
    assert.deepEqual(mails.map((m) => m.subject), ["#1", "#2", "#3"]);
  });
});

describe("sms, requests, stripe", () => {
  it("reads back SMS and waits for a status", async () => {
    const fake = client();
    const { twilioSid, twilioToken } = fake.credentials();
    assert.equal((await twilioSms(fake.url, twilioSid, twilioToken, { to: "+15558675310", body: "Order #1 paid" })).status, 201);
    const [sms] = await fake.sms.wait({ account: twilioSid, status: "delivered" });
    assert.equal(sms?.body, "Order #1 paid");
    assert.equal((await fake.sms.get(sms!.sid)).to, "+15558675310");
    assert.deepEqual(await fake.sms.list({ account: twilioSid, body: "nothing like it" }), []);
  });

  it("filters the request journal by service, path glob and status class", async () => {
    const fake = client();
    const { stripeKey } = fake.credentials();
    assert.equal((await pay(fake.url, stripeKey, "pm_card_chargeDeclined")).status, 402);
    const [declined] = await fake.requests.list({
      service: "stripe",
      account: stripeKey,
      path: "/v1/payment_*",
      status: "4xx",
    });
    assert.equal(declined?.status, 402);
    assert.equal(declined?.method, "POST");
  });

  it("reads Stripe events and waits for a webhook delivery", async () => {
    const fake = client();
    const { stripeKey } = fake.credentials();
    const hook = await receiver();
    try {
      const endpoint = await stripe(fake.url, stripeKey, "/v1/webhook_endpoints", {
        url: hook.url,
        "enabled_events[]": "payment_intent.succeeded",
      });
      assert.equal(endpoint.status, 200);
      const payment = await pay(fake.url, stripeKey);
      assert.equal(payment.body.status, "succeeded");

      const [event] = await fake.stripe.events.wait({ account: stripeKey, type: "payment_intent.succeeded" });
      assert.equal(event?.data.object.id, payment.body.id);
      const [delivery] = await fake.stripe.webhookDeliveries.wait({
        account: stripeKey,
        event: "payment_intent.succeeded",
        state: "delivered",
      });
      assert.equal(delivery?.url, hook.url);
      assert.equal(delivery?.attempts.at(-1)?.status, 200);
      assert.match(delivery?.headers["Stripe-Signature"] ?? delivery?.headers["stripe-signature"] ?? "", /^t=\d+,v1=/);
      const all = await fake.webhookDeliveries.list({ service: "stripe", account: stripeKey });
      assert.deepEqual(all.map((d) => d.id), [delivery?.id]);
    } finally {
      hook.server.close();
    }
  });

  it("completes 3-D Secure through the admin hook", async () => {
    const fake = client();
    const { stripeKey } = fake.credentials();
    const payment = await pay(fake.url, stripeKey, "pm_card_threeDSecure2Required");
    assert.equal(payment.body.status, "requires_action");
    const intent = await fake.stripe.authenticate(payment.body.id as string);
    assert.equal(intent.status, "succeeded");
  });
});

describe("faults", () => {
  it("injects a 503 for one account, counts hits, and remove() lifts it", async () => {
    const fake = client();
    const { stripeKey } = fake.credentials();
    const rule = await fake.faults.add({
      service: "stripe",
      match: { account: stripeKey },
      action: { type: "error", status: 503 },
    });
    assert.equal(rule.rule.service, "stripe");
    const failed = await pay(fake.url, stripeKey);
    assert.equal(failed.status, 503);
    assert.equal(failed.body.error.type, "api_error");
    assert.equal(await rule.hits(), 1);
    await rule.remove();
    await rule.remove(); // already gone: not an error
    assert.equal((await pay(fake.url, stripeKey)).status, 200);
  });

  it("removes the rule at the end of an `await using` block", async () => {
    const fake = client();
    const { stripeKey } = fake.credentials();
    let id: string;
    {
      await using rule = await fake.faults.add({
        service: "stripe",
        match: { account: stripeKey },
        action: { type: "error", status: 500 },
        times: 5,
      });
      id = rule.id;
      assert.ok((await fake.faults.list({ account: stripeKey })).some((r: FaultRule) => r.id === id));
      assert.equal((await pay(fake.url, stripeKey)).status, 500);
    }
    assert.ok(!(await fake.faults.list()).some((r) => r.id === id));
    assert.equal((await pay(fake.url, stripeKey)).status, 200);
  });

  it("rejects an invalid rule with the field that is wrong", async () => {
    const error = await client()
      .faults.add({ service: "stripe", action: { type: "error", status: 99 } })
      .then(() => assert.fail("accepted"), (e: unknown) => e);
    assert.ok(error instanceof FakeServicesError);
    assert.equal(error.status, 422);
    assert.equal(error.code, "invalid_fault");
    assert.equal((error.body as { error: { field: string } }).error.field, "action.status");
  });

  it("answers 404 as a FakeServicesError for an unknown id", async () => {
    const error = await client().emails.get("em_nope").then(() => assert.fail("found"), (e: unknown) => e);
    assert.ok(error instanceof FakeServicesError && !(error instanceof WaitTimeout));
    assert.equal(error.status, 404);
    assert.equal(error.code, "not_found");
  });
});
