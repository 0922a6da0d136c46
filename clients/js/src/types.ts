/**
 * What the admin API returns, as TypeScript types. Objects may carry fields beyond these (a newer
 * server adds fields without breaking an older client); the fields named here are the contract.
 */

/** `GET /__admin/health`. */
export interface Health {
  status: string;
  version: string;
  http_port: number | null;
  smtp_port: number | null;
  /** The newest sequence number handed out: pass it as `after` to wait only for what comes next. */
  seq: number;
  counts: Record<string, number>;
  evicted: Record<string, number>;
  [extra: string]: unknown;
}

export interface Attachment {
  index: number;
  filename: string | null;
  content_type: string;
  size: number;
  content_id: string | null;
  [extra: string]: unknown;
}

/** A stored email (SMTP, SendGrid, Mailgun, Postmark...). */
export interface Email {
  id: string;
  seq: number;
  account: string;
  source: string;
  received_at: string;
  from: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  envelope_from: string | null;
  envelope_to: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  headers: Record<string, string[]>;
  attachments: Attachment[];
  message_id: string | null;
  size: number;
  tags: string[];
  parse_errors: string[];
  [extra: string]: unknown;
}

/** A stored SMS (Twilio Messages API). */
export interface Sms {
  id: string;
  seq: number;
  account: string;
  sid: string;
  to: string;
  from: string | null;
  body: string;
  status: string;
  num_segments: string | null;
  error_code: number | null;
  error_message: string | null;
  media_urls: string[];
  date_created: string | null;
  [extra: string]: unknown;
}

/** One request journal entry: an HTTP request to a fake or one SMTP transaction. */
export interface JournalEntry {
  id: string;
  seq: number;
  service: string;
  method: string;
  path: string;
  query: string;
  account: string;
  status: number;
  duration_ms: number;
  received_at: string;
  fault: Record<string, unknown> | null;
  request_body: string;
  response_body: string;
  detail: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A Stripe event as Stripe sends it (`evt_...`). */
export interface StripeEvent {
  id: string;
  object: "event";
  type: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  [extra: string]: unknown;
}

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/** An outbound delivery (a Stripe webhook or a Twilio status callback) with every attempt. */
export interface WebhookDelivery {
  id: string;
  seq: number;
  service: string;
  account: string;
  url: string;
  event: string;
  ref: string;
  state: "pending" | "delivered" | "failed";
  created_at: string;
  headers: Record<string, string>;
  body: string;
  attempts: DeliveryAttempt[];
  [extra: string]: unknown;
}

/** A fault rule as the server reports it. */
export interface FaultRule {
  id: string;
  service: string;
  match: FaultMatch;
  action: FaultAction;
  times: number | null;
  probability: number;
  after: number;
  hits: number;
  matched: number;
  remaining: number | null;
  expired: boolean;
  [extra: string]: unknown;
}

/** One near miss of a wait that timed out, as the server summarises it. */
export type NearMiss = Record<string, unknown>;

// -- filters -------------------------------------------------------------------------------------

/** Parameters every read-back list, wait and delete takes. */
export interface CommonFilters {
  /** Only items of this account (credential), or of any of these accounts. */
  account?: string | readonly string[];
  /**
   * Also match items with `seq > sharedAfter` whose account is shared: `default` (SMTP without
   * AUTH) or any credential that was not issued per test (see `isIssued`).
   */
  sharedAfter?: number;
  /** Only items with `seq` greater than this. */
  after?: number;
  /** 1-1000, default 100. */
  limit?: number;
}

export interface EmailFilters extends CommonFilters {
  /** A recipient (to, cc, bcc or envelope), case-insensitive exact. */
  to?: string;
  /** The sender (From header or envelope), case-insensitive exact. */
  from?: string;
  /** Case-insensitive substring of the subject. */
  subject?: string;
  /** `smtp`, `sendgrid`, `mailgun`, `postmark`... */
  source?: string;
  /** Case-insensitive substring of the text or HTML body. */
  body?: string;
  /** One of the message's tags. */
  tag?: string;
}

export interface SmsFilters extends CommonFilters {
  to?: string;
  from?: string;
  /** Case-insensitive substring of the body. */
  body?: string;
  /** Current status, e.g. `delivered`. */
  status?: string;
}

export interface RequestFilters extends CommonFilters {
  /** `stripe`, `sms`, `smtp`, `sendgrid`, `mailgun`, `postmark`, `unmatched`... */
  service?: string;
  /** HTTP method, or an SMTP stage such as `DATA` or `RCPT`. */
  method?: string;
  /** Glob, e.g. `/v1/payment_intents*`. */
  path?: string;
  /** Exact code (`402`) or class (`4xx`). */
  status?: number | string;
}

export interface StripeEventFilters extends CommonFilters {
  /** Event type, e.g. `charge.succeeded`. */
  type?: string;
}

export interface DeliveryFilters extends CommonFilters {
  /** The fake that sent it: `stripe` or `sms` (only on `webhookDeliveries`). */
  service?: string;
  /** Event type or message status, e.g. `payment_intent.succeeded`. */
  event?: string;
  state?: "pending" | "delivered" | "failed";
  /** The object it is about: an event id, a message sid. */
  ref?: string;
  /** The receiving URL. */
  url?: string;
}

/** What a wait takes beside the filters. */
export interface WaitOptions {
  /** How many matching items to wait for (default 1). */
  count?: number;
  /** Seconds (default 10, max 120). */
  timeout?: number;
}

// -- faults --------------------------------------------------------------------------------------

export type FaultService =
  | "stripe"
  | "email-http"
  | "sendgrid"
  | "mailgun"
  | "postmark"
  | "sms"
  | "smtp"
  | "*"
  | (string & {});

export interface FaultMatch {
  method?: string;
  /** Glob, e.g. `/v1/payment_intents*`. */
  path?: string;
  account?: string;
  to?: string;
  from?: string;
  [extra: string]: unknown;
}

export type SmtpStage = "connect" | "ehlo" | "mail" | "rcpt" | "data";

export type FaultAction =
  | {
      type: "error";
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
    }
  | {
      type: "delay";
      ms?: number;
      distribution?:
        | { uniform: { min_ms: number; max_ms: number } }
        | { lognormal: { median_ms: number; sigma: number } };
      stage?: SmtpStage;
    }
  | { type: "timeout"; stage?: SmtpStage }
  | { type: "drop"; stage?: SmtpStage }
  | { type: "malformed" }
  | { type: "smtp_reply"; code: number; enhanced?: string; message?: string; stage?: SmtpStage }
  | { type: "rate_limit"; limit: number; per_seconds: number; [extra: string]: unknown };

/** A rule to install: `POST /__admin/faults`. */
export interface FaultSpec {
  service: FaultService;
  action: FaultAction;
  match?: FaultMatch;
  /** Fire this many times, then expire. */
  times?: number;
  /** Skip the first N matches. */
  after?: number;
  /** 0..1, drawn from a generator seeded by `seed` (or the server's `--fault-seed`). */
  probability?: number;
  seed?: number;
}
