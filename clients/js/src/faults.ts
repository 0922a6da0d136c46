/** Fault injection: `POST /__admin/faults` and the handle that removes the rule again. */

import { FakeServicesError } from "./errors.js";
import type { Transport } from "./http.js";
import type { FaultRule, FaultSpec } from "./types.js";

/**
 * An installed rule. `remove()` deletes it (a rule already gone is not an error);
 * `await using rule = await fake.faults.add(...)` removes it when the block ends.
 */
export class FaultHandle implements AsyncDisposable {
  readonly id: string;
  /** The rule as the server reported it last (see `refresh`). */
  rule: FaultRule;
  private readonly faults: Faults;

  constructor(faults: Faults, rule: FaultRule) {
    this.faults = faults;
    this.rule = rule;
    this.id = rule.id;
  }

  /** The rule as the server holds it now (its `hits`, `matched`, `remaining`, `expired`). */
  async refresh(): Promise<FaultRule> {
    this.rule = await this.faults.get(this.id);
    return this.rule;
  }

  /** How many times the rule has fired. */
  async hits(): Promise<number> {
    return (await this.refresh()).hits;
  }

  async remove(): Promise<void> {
    try {
      await this.faults.remove(this.id);
    } catch (error) {
      if (!(error instanceof FakeServicesError && error.status === 404)) throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}

export class Faults {
  protected readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /**
   * Install a rule, e.g. `{service: "stripe", action: {type: "error", status: 503}, times: 1}`.
   * An invalid rule rejects with a `FakeServicesError` (422, code `invalid_fault`).
   */
  async add(spec: FaultSpec): Promise<FaultHandle> {
    const rule = await this.transport.json<FaultRule>("/__admin/faults", {
      method: "POST",
      json: spec,
    });
    return new FaultHandle(this, rule);
  }

  /** Every rule (only those matching `account` when given), with its `hits`. */
  async list(filters: { account?: string } = {}): Promise<FaultRule[]> {
    const page = await this.transport.json<{ data: FaultRule[] }>("/__admin/faults", {
      params: { account: filters.account },
    });
    return page.data;
  }

  async get(id: string): Promise<FaultRule> {
    return this.transport.json<FaultRule>(`/__admin/faults/${encodeURIComponent(id)}`);
  }

  async remove(id: string): Promise<void> {
    await this.transport.raw(`/__admin/faults/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  /** Remove every rule (only those matching `account` when given); resolves to how many. */
  async clear(filters: { account?: string } = {}): Promise<number> {
    const answer = await this.transport.json<{ deleted: number }>("/__admin/faults", {
      method: "DELETE",
      params: { account: filters.account },
    });
    return answer.deleted;
  }
}

/** The faults of one test: every rule added through it is removed by `removeAdded()`. */
export class TrackedFaults extends Faults {
  private readonly added: FaultHandle[] = [];

  override async add(spec: FaultSpec): Promise<FaultHandle> {
    const handle = await super.add(spec);
    this.added.push(handle);
    return handle;
  }

  async removeAdded(): Promise<void> {
    const handles = this.added.splice(0);
    for (const handle of handles) await handle.remove();
  }
}
