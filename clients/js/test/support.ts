/**
 * A real `fakeservices serve` for the test file (free ports), and requests to the fakes made over
 * real sockets the way their APIs take them (fetch, as curl would): SendGrid mail, Twilio SMS,
 * Stripe payments and webhook endpoints.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before } from "node:test";

import { startServer, type RunningServer } from "fakeservices/server";

export interface Harness {
  server: RunningServer;
}

/** Start one server for this test file (stopped after it). */
export function useServer(): Harness {
  const harness = {} as Harness;
  before(async () => {
    harness.server = await startServer();
  });
  after(async () => {
    await harness.server?.stop();
  });
  return harness;
}

export async function sendgrid(
  url: string,
  apiKey: string,
  mail: { to: string; subject: string; text: string; from?: string },
): Promise<Response> {
  return fetch(`${url}/v3/mail/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      personalizations: [{ to: [{ email: mail.to }] }],
      from: { email: mail.from ?? "shop@example.com" },
      subject: mail.subject,
      content: [{ type: "text/plain", value: mail.text }],
    }),
  });
}

export async function twilioSms(
  url: string,
  sid: string,
  token: string,
  sms: { to: string; body: string; from?: string },
): Promise<Response> {
  return fetch(`${url}/2010-04-01/Accounts/${sid}/Messages.json`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString("base64")}` },
    body: new URLSearchParams({ To: sms.to, From: sms.from ?? "+15005550006", Body: sms.body }),
  });
}

export async function stripe(
  url: string,
  key: string,
  path: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

export async function pay(url: string, key: string, paymentMethod = "pm_card_visa") {
  return stripe(url, key, "/v1/payment_intents", {
    amount: "2000",
    currency: "usd",
    confirm: "true",
    payment_method: paymentMethod,
    "payment_method_types[]": "card",
  });
}

/** A local HTTP receiver (for webhooks) that answers 200 to everything. */
export async function receiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.end("ok"));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, server };
}

let counter = 0;
/** An address unique to this run. */
export function unique(name: string): string {
  counter += 1;
  return `${name}-${process.pid}-${counter}@example.com`;
}
