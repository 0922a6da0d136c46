// The shop's HTTP API on plain node:http: users, orders paid with Stripe, a welcome email, an
// order SMS and a receipt, and the Stripe webhook. State is kept in memory.

import { createServer } from "node:http";

import { createNotifier } from "./notify.js";
import { charge, stripeClient, verifyWebhook } from "./payments.js";

const DECLINE_STATUS = { declined: 402, timeout: 504 };

export function createApp(settings, log = console) {
  const stripe = stripeClient(settings);
  const notify = createNotifier(settings);
  const users = new Map();
  const orders = new Map();

  async function register(body) {
    const { name, email, phone = null } = body;
    if (!name || !email) return [400, { error: "name and email are required" }];
    if ([...users.values()].some((u) => u.email === email)) return [409, { error: "email already registered" }];
    const user = { id: users.size + 1, name, email, phone, welcome_email: "pending" };
    users.set(user.id, user);
    // The user is kept even when the welcome email cannot be sent.
    try {
      await notify.welcome(name, email);
      user.welcome_email = "sent";
    } catch (error) {
      log.warn(`welcome email to ${email} failed: ${error.message}`);
      user.welcome_email = "failed";
    }
    return [201, { id: user.id, welcome_email: user.welcome_email }];
  }

  async function createOrder(body) {
    const user = users.get(Number(body.user_id));
    if (!user) return [404, { error: "unknown user" }];
    const order = {
      id: orders.size + 1,
      user_id: user.id,
      amount: Number(body.amount),
      currency: body.currency ?? "usd",
      status: "pending",
      payment_intent: null,
      decline_code: null,
      webhook_confirmed: false,
    };
    orders.set(order.id, order);
    const result = await charge(stripe, {
      orderId: order.id,
      amount: order.amount,
      currency: order.currency,
      paymentMethod: body.payment_method,
    });
    Object.assign(order, {
      status: result.status,
      payment_intent: result.paymentIntent ?? null,
      decline_code: result.declineCode ?? null,
    });
    const answer = { id: order.id, status: order.status, payment_intent: order.payment_intent };
    if (result.status !== "paid") {
      return [DECLINE_STATUS[result.status] ?? 502, { ...answer, decline_code: order.decline_code, error: result.message }];
    }
    const sends = [notify.receipt(user.email, order)];
    if (user.phone) sends.push(notify.orderSms(user.phone, order));
    for (const outcome of await Promise.allSettled(sends)) {
      if (outcome.status === "rejected") log.warn(`order notification failed: ${outcome.reason?.message}`);
    }
    return [201, answer];
  }

  function stripeWebhook(raw, signature) {
    let event;
    try {
      event = verifyWebhook(stripe, settings, raw, signature ?? "");
    } catch (error) {
      return [400, { error: error.message }];
    }
    if (event.type === "payment_intent.succeeded") {
      const order = orders.get(Number(event.data.object.metadata?.order_id));
      if (order) order.webhook_confirmed = true;
    }
    return [200, { received: true }];
  }

  async function route(request, raw) {
    const { method } = request;
    const path = new URL(request.url, "http://shop").pathname;
    const json = () => (raw.length ? JSON.parse(raw.toString("utf8")) : {});
    let match;
    if (method === "POST" && path === "/users") return register(json());
    if (method === "GET" && (match = /^\/users\/(\d+)$/.exec(path))) {
      const user = users.get(Number(match[1]));
      return user ? [200, user] : [404, { error: "not found" }];
    }
    if (method === "POST" && path === "/orders") return createOrder(json());
    if (method === "GET" && (match = /^\/orders\/(\d+)$/.exec(path))) {
      const order = orders.get(Number(match[1]));
      return order ? [200, order] : [404, { error: "not found" }];
    }
    if (method === "POST" && path === "/webhooks/stripe") {
      return stripeWebhook(raw, request.headers["stripe-signature"]);
    }
    return [404, { error: "not found" }];
  }

  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      route(request, Buffer.concat(chunks))
        .catch((error) => {
          log.error(error);
          return [error instanceof SyntaxError ? 400 : 500, { error: error.message }];
        })
        .then(([status, body]) => {
          response.writeHead(status, { "content-type": "application/json" });
          response.end(JSON.stringify(body));
        });
    });
  });
  server.on("close", () => notify.close());
  return server;
}
