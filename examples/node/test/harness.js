// Test support shared by the node:test and jest suites: one fakeservices server for the run (or
// the sidecar at FAKESERVICES_URL), and per test a fresh view of it plus the shop, running for real
// on a free port with the environment a deployment would get, aimed at fakeservices.

import { FakeServices } from "fakeservices";
import { startServer } from "fakeservices/server";
import Stripe from "stripe";

import { createApp } from "../src/app.js";
import { settingsFromEnv } from "../src/settings.js";

/** `fakeservices serve` on free ports, or the sidecar named by FAKESERVICES_URL. */
export async function startFakeservices() {
  if (process.env.FAKESERVICES_URL) {
    return { fake: FakeServices.fromEnv(), stop: async () => {} };
  }
  const server = await startServer();
  return {
    fake: new FakeServices(server.url, { smtp: server.env.FAKESERVICES_SMTP }),
    stop: () => server.stop(),
  };
}

/** The shop's environment: every address and credential pointed at this test's view of the fake. */
export function shopEnv(t, overrides = {}) {
  return {
    STRIPE_API_KEY: t.stripeKey,
    STRIPE_API_BASE: t.url,
    STRIPE_TIMEOUT_MS: "1500",
    STRIPE_MAX_RETRIES: "0",
    SMTP_HOST: t.smtpHost,
    SMTP_PORT: String(t.smtpPort),
    SMTP_USER: t.smtpUser,
    SMTP_PASSWORD: t.smtpPassword,
    TWILIO_ACCOUNT_SID: t.twilioSid,
    TWILIO_AUTH_TOKEN: t.twilioToken,
    TWILIO_API_BASE: t.twilioBaseUrl,
    SENDGRID_API_KEY: t.emailApiKey,
    SENDGRID_API_BASE: t.sendgridBaseUrl,
    ...overrides,
  };
}

/** A stripe-node client of this test's account, for assertions about what the shop did. */
export function stripeOf(t) {
  return new Stripe(t.stripeKey, { ...t.stripeConfig(), maxNetworkRetries: 0 });
}

/** Run the shop on a free port; Stripe sends this account's events to its webhook. */
export async function startShop(t, overrides = {}) {
  const settings = settingsFromEnv(shopEnv(t, overrides));
  const quiet = { warn: () => {}, error: console.error };
  const server = createApp(settings, quiet);
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const endpoint = await stripeOf(t).webhookEndpoints.create({
    url: `${url}/webhooks/stripe`,
    enabled_events: ["payment_intent.succeeded"],
  });
  // The signing secret Stripe gave the endpoint registered for this shop.
  settings.stripe.webhookSecret = endpoint.secret;

  async function call(method, path, body) {
    const response = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }
  return {
    url,
    call,
    register: (name, email, phone) => call("POST", "/users", { name, email, phone }),
    order: (userId, amount, paymentMethod) =>
      call("POST", "/orders", { user_id: userId, amount, payment_method: paymentMethod }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}

/** Per test: a fresh view of the fake (credentials, scoped read-back, faults) and shops to start. */
export async function begin(fake) {
  const t = await fake.forTest();
  const shops = [];
  return {
    t,
    async shop(overrides) {
      const shop = await startShop(t, overrides);
      shops.push(shop);
      return shop;
    },
    async end() {
      await Promise.all(shops.map((s) => s.close()));
      await t.end();
    },
  };
}
