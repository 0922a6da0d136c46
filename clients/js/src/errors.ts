import type { NearMiss } from "./types.js";

/** The admin API answered an error: `status`, `code` and `message` as it sent them. */
export class FakeServicesError extends Error {
  override name = "FakeServicesError";
  readonly status: number;
  readonly code: string;
  /** The whole answer (parsed JSON when it was JSON, else its text). */
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * A wait ended before `count` items matched. `matched` says how many did; `recent` summarises the
 * last items that did not match (within the same scope): the usual explanation of a failing test.
 * The message is the server's, e.g. "Timed out after 2s waiting for 1 emails matching
 * {'to': 'bob@example.com'}: 0 matched. Most recent that did not match: to=['alice@example.com']".
 */
export class WaitTimeout extends FakeServicesError {
  override name = "WaitTimeout";
  readonly matched: number;
  readonly recent: NearMiss[];

  constructor(message: string, matched: number, recent: NearMiss[], body?: unknown) {
    super(408, "wait_timeout", message, body);
    this.matched = matched;
    this.recent = recent;
  }
}
