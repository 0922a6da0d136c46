/** The transport: one `fetch` per admin call, query strings with repeatable parameters. */

import { FakeServicesError, WaitTimeout } from "./errors.js";
import type { NearMiss } from "./types.js";

/** A query parameter value: arrays repeat the parameter (`?account=a&account=b`). */
export type ParamValue = string | number | boolean | readonly (string | number)[] | undefined;
export type Params = Record<string, ParamValue>;

export interface CallOptions {
  method?: string;
  params?: Params;
  json?: unknown;
  /** Milliseconds before the call is aborted (the client's default otherwise). */
  timeoutMs?: number;
}

/** camelCase option names the wire spells in snake_case. */
const WIRE_NAMES: Record<string, string> = { sharedAfter: "shared_after" };

export function queryString(params: Params): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const name = WIRE_NAMES[key] ?? key;
    for (const v of Array.isArray(value) ? value : [value]) q.append(name, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs: number) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = timeoutMs;
  }

  async raw(path: string, options: CallOptions = {}): Promise<Response> {
    const init: RequestInit = {
      method: options.method ?? "GET",
      signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
    };
    if (options.json !== undefined) {
      init.body = JSON.stringify(options.json);
      init.headers = { "content-type": "application/json" };
    }
    const response = await fetch(this.baseUrl + path + queryString(options.params ?? {}), init);
    if (response.status >= 400) throw await errorOf(response);
    return response;
  }

  async json<T>(path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.raw(path, options);
    // JSON.parse of this module's realm rather than response.json(), whose objects come from the
    // realm fetch lives in: under jest's VM contexts those arrays fail the test's deepStrictEqual.
    return JSON.parse(await response.text()) as T;
  }

  async bytes(path: string, options: CallOptions = {}): Promise<Uint8Array> {
    const response = await this.raw(path, options);
    return new Uint8Array(await response.arrayBuffer());
  }
}

/** The error the admin API answered, as a typed exception. */
async function errorOf(response: Response): Promise<FakeServicesError> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    return new FakeServicesError(response.status, "error", text || response.statusText, text);
  }
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  if (typeof err !== "object" || err === null) {
    return new FakeServicesError(response.status, "error", text, body);
  }
  const code = typeof err.code === "string" ? err.code : "error";
  const message = typeof err.message === "string" ? err.message : text;
  if (response.status === 408 && code === "wait_timeout") {
    const matched = typeof err.matched === "number" ? err.matched : 0;
    const recent = Array.isArray(err.recent) ? (err.recent as NearMiss[]) : [];
    return new WaitTimeout(message, matched, recent, body);
  }
  return new FakeServicesError(response.status, code, message, body);
}
