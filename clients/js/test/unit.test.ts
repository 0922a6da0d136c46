/** What the client sends and how it configures SDK objects, without a server. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { FakeServices, queryString, type SendgridClientLike } from "fakeservices";

describe("query strings", () => {
  it("repeat array parameters, spell sharedAfter as shared_after, drop undefined", () => {
    assert.equal(
      queryString({ account: ["a", "b"], sharedAfter: 7, to: "x+1@example.com", limit: undefined }),
      "?account=a&account=b&shared_after=7&to=x%2B1%40example.com",
    );
    assert.equal(queryString({}), "");
  });
});

describe("SDK settings", () => {
  it("gives stripe-node host, port and protocol", () => {
    assert.deepEqual(new FakeServices("http://127.0.0.1:4010/").stripeConfig(), {
      host: "127.0.0.1",
      port: 4010,
      protocol: "http",
    });
    assert.deepEqual(new FakeServices("https://fake.internal").stripeConfig(), {
      host: "fake.internal",
      port: 443,
      protocol: "https",
    });
    assert.equal(new FakeServices("http://fakeservices:4010/").url, "http://fakeservices:4010");
  });

  it("points a twilio client at the fake and clears region and edge", () => {
    const fake = new FakeServices("http://127.0.0.1:4010");
    const client = { api: { baseUrl: "https://api.twilio.com" }, region: "au1", edge: "sydney" };
    assert.equal(fake.twilioClient(client), client);
    assert.deepEqual(client, { api: { baseUrl: "http://127.0.0.1:4010" }, region: undefined, edge: undefined });
  });

  it("sets the SendGrid API key before the base URL (setApiKey resets the base URL)", () => {
    const calls: string[] = [];
    const client: SendgridClientLike = {
      setApiKey: (key) => void calls.push(`setApiKey ${key}`),
      setDefaultRequest: (key, value) => calls.push(`setDefaultRequest ${key} ${value}`),
    };
    new FakeServices("http://127.0.0.1:4010").sendgridClient(client, "SG.x");
    assert.deepEqual(calls, ["setApiKey SG.x", "setDefaultRequest baseUrl http://127.0.0.1:4010"]);
  });
});
