/**
 * fakeservices: the typed admin client of a fakeservices server (in-memory Stripe, Twilio, SMTP
 * and email-API fakes) for JavaScript and TypeScript tests. No dependencies; Node 18.18+.
 *
 * `fakeservices/server` starts a `fakeservices serve` process for a test run.
 */

export {
  FakeServices,
  TestFake,
  type FakeServicesOptions,
  type SendgridClientLike,
  type SmtpAddress,
  type SmtpTransportOptions,
  type StripeSettings,
  type TwilioLike,
} from "./client.js";
export { freshCredentials, ISSUED_MARKERS, type Credentials } from "./credentials.js";
export { FakeServicesError, WaitTimeout } from "./errors.js";
export { FaultHandle, Faults, TrackedFaults } from "./faults.js";
export { queryString, type ParamValue, type Params } from "./http.js";
export { DEFAULT_WAIT_SECONDS, Emails, Items, StripeAdmin, type Page, type Scope } from "./readback.js";
export type * from "./types.js";
