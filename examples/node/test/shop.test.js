// The shop's scenarios under node:test: `node --test test/shop.test.js`.

import { after, before, describe, it } from "node:test";

import { begin, startFakeservices } from "./harness.js";
import { scenarios } from "./scenarios.js";

describe("shop", () => {
  let services;
  before(async () => {
    services = await startFakeservices();
  });
  after(() => services?.stop());

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
