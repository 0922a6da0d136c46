/**
 * `FakeServices`: the typed client of a fakeservices server's admin API, and `TestFake`, one
 * test's view of it (fresh credentials, read-back scoped to them, faults removed at the end).
 *
 *     const fake = new FakeServices("http://127.0.0.1:4010");
 *     const [mail] = await fake.emails.wait({ to: "john@example.com", subject: "Welcome" });
 *     await using outage = await fake.faults.add({ service: "stripe", action: { type: "error", status: 503 } });
 */

import { freshCredentials, type Credentials } from "./credentials.js";
import { Transport } from "./http.js";
import { Faults, TrackedFaults } from "./faults.js";
import { Emails, Items, StripeAdmin, type Scope } from "./readback.js";
import type {
  DeliveryFilters,
  Health,
  JournalEntry,
  RequestFilters,
  Sms,
  SmsFilters,
  WebhookDelivery,
} from "./types.js";

export interface FakeServicesOptions {
  /** Milliseconds before an admin call is aborted (waits get their own `timeout` + 10 s). */
  timeoutMs?: number;
  /** The SMTP listener as `host:port` (default: the URL's host and the port health reports). */
  smtp?: string;
  /** Apply this scope to every read-back call (see `scoped`). */
  scope?: Scope;
}

/** What `stripeConfig()` gives `new Stripe(key, config)` (stripe-node). */
export interface StripeSettings {
  host: string;
  port: number;
  protocol: "http" | "https";
}

/** The SMTP listener's address. */
export interface SmtpAddress {
  host: string;
  port: number;
}

/** What `smtpTransportOptions()` gives `nodemailer.createTransport(options)`. */
export interface SmtpTransportOptions {
  host: string;
  port: number;
  secure: false;
  auth?: { user: string; pass: string };
}

/** The part of a twilio-node client that points it somewhere (`twilio(sid, token)`). */
export interface TwilioLike {
  api: { baseUrl: string };
  region?: string | undefined;
  edge?: string | undefined;
}

/** The part of an @sendgrid/client `Client` that points it somewhere. */
export interface SendgridClientLike {
  setApiKey(apiKey: string): void;
  setDefaultRequest(key: "baseUrl", value: string): unknown;
}

export class FakeServices {
  /** The server's base URL, e.g. `http://127.0.0.1:4010` (also the base URL of every HTTP fake). */
  readonly url: string;
  readonly emails: Emails;
  readonly sms: Items<Sms, SmsFilters>;
  /** The request journal: every request to every fake, SMTP transactions included. */
  readonly requests: Items<JournalEntry, RequestFilters>;
  /** Outbound deliveries of every fake (Stripe webhooks, Twilio status callbacks). */
  readonly webhookDeliveries: Items<WebhookDelivery, DeliveryFilters>;
  /** Stripe events, Stripe webhook deliveries, 3-D Secure. */
  readonly stripe: StripeAdmin;
  readonly faults: Faults;
  /** The scope applied to every read-back call, if any. */
  readonly scope: Scope | undefined;
  protected readonly transport: Transport;
  protected readonly options: FakeServicesOptions;

  constructor(url: string, options: FakeServicesOptions = {}) {
    this.transport = new Transport(url, options.timeoutMs ?? 30_000);
    this.url = this.transport.baseUrl;
    this.options = options;
    const scope = options.scope;
    this.scope = scope;
    this.emails = new Emails(this.transport, "/__admin/emails", scope);
    this.sms = new Items(this.transport, "/__admin/sms", scope);
    this.requests = new Items(this.transport, "/__admin/requests", scope);
    this.webhookDeliveries = new Items(this.transport, "/__admin/webhook-deliveries", scope);
    this.stripe = new StripeAdmin(this.transport, scope);
    this.faults = this.makeFaults();
  }

  /** `FAKESERVICES_URL` (default `http://127.0.0.1:4010`) and `FAKESERVICES_SMTP` (`host:port`). */
  static fromEnv(env: Record<string, string | undefined> = process.env): FakeServices {
    const smtp = env.FAKESERVICES_SMTP;
    return new FakeServices(
      env.FAKESERVICES_URL ?? "http://127.0.0.1:4010",
      smtp ? { smtp } : {},
    );
  }

  protected makeFaults(): Faults {
    return new Faults(this.transport);
  }

  async health(): Promise<Health> {
    return this.transport.json<Health>("/__admin/health");
  }

  /** Forget state: everything, one service (stripe|email|sms|faults|journal), or one account. */
  async reset(options: { service?: string; account?: string } = {}): Promise<void> {
    await this.transport.raw("/__admin/reset", { method: "POST", params: { ...options } });
  }

  /**
   * The same client with read-back limited to `accounts`, plus items of shared accounts (`default`,
   * or credentials not issued per test) with `seq > after`. An explicit `account` on a call
   * overrides the scope for that call.
   */
  scoped(scope: { accounts: readonly string[]; after?: number }): FakeServices {
    return new FakeServices(this.url, {
      ...this.options,
      scope: { accounts: [...scope.accounts], sharedAfter: scope.after },
    });
  }

  /** The same as `stripe.events` (the Python client's `stripe_events`). */
  get stripeEvents(): StripeAdmin["events"] {
    return this.stripe.events;
  }

  // -- SDK settings ------------------------------------------------------------------------------

  /** For stripe-node: `new Stripe(key, { ...fake.stripeConfig(), maxNetworkRetries: 0 })`. */
  stripeConfig(): StripeSettings {
    const u = new URL(this.url);
    const protocol = u.protocol === "https:" ? "https" : "http";
    const port = u.port ? Number(u.port) : protocol === "https" ? 443 : 80;
    return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port, protocol };
  }

  /** For twilio-node: `client.api.baseUrl = fake.twilioBaseUrl` (see `twilioClient`). */
  get twilioBaseUrl(): string {
    return this.url;
  }

  /** For @sendgrid/client: `setDefaultRequest("baseUrl", ...)`, AFTER `setApiKey` (see `sendgridClient`). */
  get sendgridBaseUrl(): string {
    return this.url;
  }

  /**
   * Point a twilio-node client at the fake: `fake.twilioClient(twilio(sid, token))`. Sets
   * `client.api.baseUrl` and clears `region`/`edge`, which twilio-node otherwise takes from
   * `TWILIO_REGION`/`TWILIO_EDGE` and uses to rewrite the host of every request.
   */
  twilioClient<C extends TwilioLike>(client: C): C {
    client.api.baseUrl = this.url;
    client.region = undefined;
    client.edge = undefined;
    return client;
  }

  /**
   * Point an @sendgrid/client `Client` at the fake with `apiKey`: `setApiKey` first, then
   * `setDefaultRequest("baseUrl", ...)`: `setApiKey` resets the base URL to SendGrid's own.
   */
  sendgridClient<C extends SendgridClientLike>(client: C, apiKey: string): C {
    client.setApiKey(apiKey);
    client.setDefaultRequest("baseUrl", this.url);
    return client;
  }

  /** The SMTP listener: the `smtp` option, else the URL's host and the port health reports. */
  async smtpAddress(): Promise<SmtpAddress> {
    const configured = this.options.smtp;
    if (configured) {
      const at = configured.lastIndexOf(":");
      return { host: configured.slice(0, at) || "127.0.0.1", port: Number(configured.slice(at + 1)) };
    }
    const health = await this.health();
    if (health.smtp_port === null) {
      throw new Error(`${this.url} reports no SMTP port; pass { smtp: "host:port" }`);
    }
    return { host: this.stripeConfig().host, port: health.smtp_port };
  }

  /** For nodemailer: `createTransport(await fake.smtpTransportOptions({ user, pass }))`. */
  async smtpTransportOptions(auth?: { user: string; pass: string }): Promise<SmtpTransportOptions> {
    return smtpOptions(await this.smtpAddress(), auth);
  }

  /** Fresh credentials (with the markers the server recognises as issued per test). */
  credentials(): Credentials {
    return freshCredentials();
  }

  /**
   * One test's view: fresh credentials, read-back scoped to them (plus what shared accounts
   * receive from now on), SDK helpers using them, and faults that `end()` (or `await using`)
   * removes.
   */
  async forTest(): Promise<TestFake> {
    const [health, smtp] = await Promise.all([this.health(), this.smtpAddress()]);
    return new TestFake(this, freshCredentials(), health.seq, smtp);
  }
}

function smtpOptions(
  address: SmtpAddress,
  auth?: { user: string; pass: string },
): SmtpTransportOptions {
  const options: SmtpTransportOptions = { host: address.host, port: address.port, secure: false };
  if (auth) options.auth = auth;
  return options;
}

/**
 * One test's view of the server (from `fake.forTest()`): fresh credentials; read-back scoped to
 * them and to shared-account items that arrived after it began (`unscoped` or an explicit
 * `account` widens it on purpose); SDK helpers that use the credentials; faults removed by `end()`.
 */
export class TestFake extends FakeServices implements AsyncDisposable, Credentials {
  /** The client this view came from, unscoped. */
  readonly unscoped: FakeServices;
  readonly stripeKey: string;
  readonly twilioSid: string;
  readonly twilioToken: string;
  readonly emailApiKey: string;
  readonly smtpUser: string;
  readonly smtpPassword: string;
  readonly accounts: string[];
  readonly smtpHost: string;
  readonly smtpPort: number;
  /** The server's `seq` when the test began. */
  readonly startSeq: number;
  declare readonly faults: TrackedFaults;

  constructor(parent: FakeServices, credentials: Credentials, seq: number, smtp: SmtpAddress) {
    super(parent.url, {
      smtp: `${smtp.host}:${smtp.port}`,
      scope: { accounts: credentials.accounts, sharedAfter: seq },
    });
    this.unscoped = parent;
    this.stripeKey = credentials.stripeKey;
    this.twilioSid = credentials.twilioSid;
    this.twilioToken = credentials.twilioToken;
    this.emailApiKey = credentials.emailApiKey;
    this.smtpUser = credentials.smtpUser;
    this.smtpPassword = credentials.smtpPassword;
    this.accounts = credentials.accounts;
    this.smtpHost = smtp.host;
    this.smtpPort = smtp.port;
    this.startSeq = seq;
  }

  protected override makeFaults(): Faults {
    return new TrackedFaults(this.transport);
  }

  /**
   * nodemailer options logged in as this test's SMTP user, or as `auth`; `false`: without AUTH
   * (mail then lands in the shared `default` account).
   */
  override async smtpTransportOptions(
    auth: { user: string; pass: string } | false = { user: this.smtpUser, pass: this.smtpPassword },
  ): Promise<SmtpTransportOptions> {
    const address = { host: this.smtpHost, port: this.smtpPort };
    return auth === false ? smtpOptions(address) : smtpOptions(address, auth);
  }

  /** This test's Twilio SID and token and the fake's URL, e.g. for an app's environment. */
  twilioSettings(): { accountSid: string; authToken: string; baseUrl: string } {
    return { accountSid: this.twilioSid, authToken: this.twilioToken, baseUrl: this.url };
  }

  /** Point an @sendgrid/client `Client` at the fake with this test's email API key. */
  override sendgridClient<C extends SendgridClientLike>(client: C, apiKey = this.emailApiKey): C {
    return super.sendgridClient(client, apiKey);
  }

  /** Remove the fault rules this test added. */
  async end(): Promise<void> {
    await this.faults.removeAdded();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }
}
