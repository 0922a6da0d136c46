// The shop's integration tests: real
// components (HTTP, the real SDKs) talking to fakeservices, no mocks. Each scenario takes the test's
// context (`t`: fresh credentials, read-back scoped to them; `shop()`: the running app) and is
// registered by both runners: shop.test.js (node:test) and ../jest/shop.test.js (jest).

import assert from "node:assert/strict";

import { stripeOf } from "./harness.js";

export const scenarios = {
  async "registration stores the user and sends a welcome email"({ t, shop }) {
    const app = await shop();
    const r = await app.register("John Doe", "john@example.com");
    assert.equal(r.status, 201);
    assert.equal(r.body.welcome_email, "sent");
    const user = await app.call("GET", `/users/${r.body.id}`);
    assert.equal(user.body.name, "John Doe");

    const [mail] = await t.emails.wait({ to: "john@example.com", subject: "Welcome" }); // no sleeps
    assert.equal(mail.account, t.smtpUser);
    assert.match(mail.text, /Hello John Doe/);
    assert.match(mail.html, /<b>John Doe<\/b>/);
  },

  async "paying charges the card, texts the customer and mails a receipt"({ t, shop }) {
    const app = await shop();
    const user = await app.register("Ann", "ann@example.com", "+15558675310");
    const r = await app.order(user.body.id, 2599, "pm_card_visa");
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.status, "paid");

    const intent = await stripeOf(t).paymentIntents.retrieve(r.body.payment_intent);
    assert.equal(intent.status, "succeeded");
    assert.equal(intent.amount_received, 2599);
    assert.equal(intent.metadata.order_id, String(r.body.id));

    const [sms] = await t.sms.wait({ to: "+15558675310", status: "delivered" });
    assert.equal(sms.body, `Order #${r.body.id} paid: 25.99 USD. Thank you!`);
    const [receipt] = await t.emails.wait({ to: "ann@example.com", source: "sendgrid" });
    assert.equal(receipt.subject, `Receipt for order #${r.body.id}`);
    assert.deepEqual(receipt.tags, ["receipt"]);
  },

  async "a declined card is reported and nothing is sent"({ t, shop }) {
    const app = await shop();
    const user = await app.register("Dan", "dan@example.com", "+15558675311");
    const r = await app.order(user.body.id, 1000, "pm_card_visa_chargeDeclinedInsufficientFunds");
    assert.equal(r.status, 402);
    assert.equal(r.body.status, "declined");
    assert.equal(r.body.decline_code, "insufficient_funds");
    assert.match(r.body.error, /insufficient funds/i);

    const intent = await stripeOf(t).paymentIntents.retrieve(r.body.payment_intent);
    assert.equal(intent.status, "requires_payment_method");
    assert.ok(intent.last_payment_error);
    assert.deepEqual(await t.sms.list(), []);
    assert.deepEqual(await t.emails.list({ source: "sendgrid" }), []);
  },

  async "a payment timeout is reported cleanly and charges nothing"({ t, shop }) {
    const app = await shop({ STRIPE_TIMEOUT_MS: "1000" });
    const user = await app.register("Tim", "tim@example.com", "+15558675312");
    const r = await app.order(user.body.id, 500, "pm_card_timeout"); // held until the shop gives up
    assert.equal(r.status, 504);
    assert.equal(r.body.status, "timeout");
    assert.match(r.body.error, /unreachable/);
    assert.equal((await app.call("GET", `/orders/${r.body.id}`)).body.status, "timeout");
    const intents = await stripeOf(t).paymentIntents.list();
    assert.ok(intents.data.every((pi) => pi.status !== "succeeded"));
    assert.deepEqual(await t.sms.list(), []);
  },

  async "stripe-node retries after an injected 503 and the order is paid once"({ t, shop }) {
    const app = await shop({ STRIPE_MAX_RETRIES: "1" });
    const user = await app.register("Olga", "olga@example.com");
    const outage = await t.faults.add({
      service: "stripe",
      match: { account: t.stripeKey, method: "POST", path: "/v1/payment_intents" },
      action: { type: "error", status: 503 },
      times: 1,
    });
    const r = await app.order(user.body.id, 700, "pm_card_visa");
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(await outage.hits(), 1);
    const calls = await t.requests.list({ service: "stripe", path: "/v1/payment_intents" });
    assert.deepEqual(calls.map((c) => c.status), [503, 200]);
    assert.ok(calls[0].fault, "the first attempt was the injected fault");
    const intents = await stripeOf(t).paymentIntents.list();
    assert.equal(intents.data.length, 1);
  },

  async "a signed webhook marks the order confirmed, a forged one is refused"({ t, shop }) {
    const app = await shop();
    const user = await app.register("Wes", "wes@example.com");
    const order = await app.order(user.body.id, 1200, "pm_card_visa");
    const [delivery] = await t.stripe.webhookDeliveries.wait({
      event: "payment_intent.succeeded",
      state: "delivered",
    });
    assert.equal(delivery.url, `${app.url}/webhooks/stripe`);
    assert.equal(delivery.attempts.at(-1).status, 200);
    assert.equal((await app.call("GET", `/orders/${order.body.id}`)).body.webhook_confirmed, true);

    const forged = await fetch(`${app.url}/webhooks/stripe`, {
      method: "POST",
      headers: { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
      body: delivery.body,
    });
    assert.equal(forged.status, 400);
  },

  async "an email outage keeps the user"({ t, shop }) {
    const app = await shop();
    await t.faults.add({
      service: "smtp",
      match: { to: "jane@example.com" },
      action: { type: "smtp_reply", code: 451, enhanced: "4.3.0", stage: "rcpt" },
    });
    const r = await app.register("Jane Doe", "jane@example.com");
    assert.equal(r.status, 201);
    assert.equal(r.body.welcome_email, "failed");
    assert.deepEqual(await t.emails.list({ to: "jane@example.com" }), []);
    const [refused] = await t.requests.list({ service: "smtp", method: "RCPT" });
    assert.equal(refused.status, 451);
    assert.ok(refused.fault);
  },
};
