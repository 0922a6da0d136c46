/**
 * Fresh credentials for one test. The credential is the tenant: each names its own account, so
 * tests (and workers) sharing one server never see each other's objects.
 *
 * Issued credentials carry the markers the server recognises as "per test" (everything else is a
 * shared account, which `sharedAfter` read-back includes only after a cursor): Stripe key
 * `sk_test_fs...`, email API key `SG.fs...`, SMTP user `fs-...`, Twilio Account SID `ACfa4e...`
 * (34 characters, hex after `AC`).
 */

import { randomBytes } from "node:crypto";

export interface Credentials {
  /** A Stripe secret key, `sk_test_fs` + 16 hex. */
  stripeKey: string;
  /** A Twilio Account SID, `ACfa4e` + 28 hex (34 characters, as Twilio's). */
  twilioSid: string;
  twilioToken: string;
  /** An email API key (SendGrid bearer, Mailgun key, Postmark token), `SG.fs` + 16 hex. */
  emailApiKey: string;
  /** An SMTP AUTH username, `fs-` + 16 hex. */
  smtpUser: string;
  smtpPassword: string;
  /** Every account these credentials name. */
  accounts: string[];
}

/** The prefixes the server recognises as issued per test (defined by the server; mirrored here). */
export const ISSUED_MARKERS = {
  stripe: "sk_test_fs",
  email: "SG.fs",
  smtp: "fs-",
  twilio: "ACfa4e",
} as const;

function hex(chars: number): string {
  return randomBytes(Math.ceil(chars / 2))
    .toString("hex")
    .slice(0, chars);
}

/** New credentials, unique to the caller, carrying the issued-credential markers. */
export function freshCredentials(): Credentials {
  const token = hex(16);
  const stripeKey = `${ISSUED_MARKERS.stripe}${token}`;
  const twilioSid = `${ISSUED_MARKERS.twilio}${hex(28)}`;
  const emailApiKey = `${ISSUED_MARKERS.email}${token}`;
  const smtpUser = `${ISSUED_MARKERS.smtp}${token}`;
  return {
    stripeKey,
    twilioSid,
    twilioToken: hex(32),
    emailApiKey,
    smtpUser,
    smtpPassword: hex(16),
    accounts: [stripeKey, twilioSid, emailApiKey, smtpUser],
  };
}
