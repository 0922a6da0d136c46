// The shop's scenarios under jest: the same functions as test/shop.test.js (node:test) registers.

import { afterAll, beforeAll, describe, it } from "@jest/globals";

import { begin, startFakeservices } from "../test/harness.js";
import { scenarios } from "../test/scenarios.js";

describe("shop", () => {
  let services;
  beforeAll(async () => {
    services = await startFakeservices();
  });
  afterAll(() => services?.stop());

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const context = await begin(services.fake);
      try {
        await scenario(context);
      } finally {
        await context.end();
      }
    });
  }
});
