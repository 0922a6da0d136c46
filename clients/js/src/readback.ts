/** Read-back of one kind of item (`/__admin/<name>`): list, page, get, wait, delete. */

import type { Params, Transport } from "./http.js";
import type {
  CommonFilters,
  DeliveryFilters,
  Email,
  EmailFilters,
  StripeEvent,
  StripeEventFilters,
  WaitOptions,
  WebhookDelivery,
} from "./types.js";

/** The seconds a wait lasts when no `timeout` is given (the server's default). */
export const DEFAULT_WAIT_SECONDS = 10;

/**
 * A read-back scope: the accounts a test owns, and a cursor after which items of shared accounts
 * (`default`, or credentials not issued per test) are also seen.
 */
export interface Scope {
  accounts: readonly string[];
  /** Sent as `shared_after`: shared-account items with `seq` greater than this also match. */
  sharedAfter?: number | undefined;
}

/** A page of items: `{data, has_more, next_after}`. */
export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_after: number;
}

export class Items<T, F extends CommonFilters = CommonFilters> {
  /** `/__admin/<name>`. */
  readonly path: string;
  protected readonly transport: Transport;
  readonly scope: Scope | undefined;

  constructor(transport: Transport, path: string, scope?: Scope) {
    this.transport = transport;
    this.path = path;
    this.scope = scope;
  }

  /**
   * The query parameters of a call: the filters, plus the scope (`account` repeated and
   * `shared_after`) unless the call names its own `account`, which replaces the scope for it.
   */
  protected params(filters: F | undefined, extra: Params = {}): Params {
    const params: Params = { ...(filters as Params | undefined), ...extra };
    const scope = this.scope;
    if (scope && filters?.account === undefined) {
      if (scope.accounts.length > 0) params.account = scope.accounts;
      if (scope.sharedAfter !== undefined) params.sharedAfter = scope.sharedAfter;
    }
    return params;
  }

  /** Items matching the filters, oldest first (at most `limit`, default 100). */
  async list(filters?: F): Promise<T[]> {
    return (await this.page(filters)).data;
  }

  /** One page with its `has_more` and `next_after` (pass it as `after` for the next page). */
  async page(filters?: F): Promise<Page<T>> {
    return this.transport.json<Page<T>>(this.path, { params: this.params(filters) });
  }

  /** One item by id (unscoped: ids are unique). */
  async get(id: string): Promise<T> {
    return this.transport.json<T>(`${this.path}/${encodeURIComponent(id)}`);
  }

  /**
   * Resolve as soon as `count` (default 1) items match; reject with `WaitTimeout` (carrying
   * `matched` and the `recent` near misses) after `timeout` seconds (default 10, max 120).
   * No polling: the server long-polls.
   */
  async wait(filters?: F & WaitOptions): Promise<T[]> {
    const { count, timeout, ...rest } = filters ?? {};
    const seconds = timeout ?? DEFAULT_WAIT_SECONDS;
    const page = await this.transport.json<Page<T>>(`${this.path}/wait`, {
      params: this.params(rest as F, { count, timeout }),
      timeoutMs: (seconds + 10) * 1000,
    });
    return page.data;
  }

  /** Delete the items matching the filters; resolves to how many were deleted. */
  async delete(filters?: F): Promise<number> {
    const answer = await this.transport.json<{ deleted: number }>(this.path, {
      method: "DELETE",
      params: this.params(filters),
    });
    return answer.deleted;
  }

  /** Delete one item by id. */
  async deleteOne(id: string): Promise<void> {
    await this.transport.raw(`${this.path}/${encodeURIComponent(id)}`, { method: "DELETE" });
  }
}

/** The inbox: read-back plus each message's raw bytes and attachments. */
export class Emails extends Items<Email, EmailFilters> {
  /** The message as received (`message/rfc822`). */
  async raw(id: string): Promise<Uint8Array> {
    return this.transport.bytes(`${this.path}/${encodeURIComponent(id)}/raw`);
  }

  /** Attachment `index` (from 0) of a message, decoded. */
  async attachment(id: string, index: number): Promise<Uint8Array> {
    return this.transport.bytes(`${this.path}/${encodeURIComponent(id)}/attachments/${index}`);
  }
}

/** The Stripe fake's admin: its events, its webhook deliveries, and the 3-D Secure hook. */
export class StripeAdmin {
  readonly events: Items<StripeEvent, StripeEventFilters>;
  readonly webhookDeliveries: Items<WebhookDelivery, Omit<DeliveryFilters, "service">>;
  private readonly transport: Transport;

  constructor(transport: Transport, scope?: Scope) {
    this.transport = transport;
    this.events = new Items(transport, "/__admin/stripe/events", scope);
    this.webhookDeliveries = new Items(transport, "/__admin/stripe/webhook-deliveries", scope);
  }

  /**
   * Complete (`succeed`, the default) or fail the 3-D Secure step of a PaymentIntent in
   * `requires_action`, as the customer would in the browser. Resolves to the intent after it.
   */
  async authenticate(
    paymentIntent: string,
    outcome: "succeed" | "fail" = "succeed",
  ): Promise<Record<string, unknown>> {
    const path = `/__admin/stripe/payment_intents/${encodeURIComponent(paymentIntent)}/authenticate`;
    return this.transport.json(path, { method: "POST", json: { outcome } });
  }
}
