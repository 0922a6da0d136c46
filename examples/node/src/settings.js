// Settings from environment variables, as the shop reads them in production. Nothing here knows
// about fakeservices: tests point the shop at it by setting these variables.

/** @param {Record<string, string | undefined>} env */
export function settingsFromEnv(env = process.env) {
  const need = (name) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    stripe: {
      apiKey: need("STRIPE_API_KEY"),
      apiBase: env.STRIPE_API_BASE, // e.g. http://127.0.0.1:4010; unset: api.stripe.com
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      timeoutMs: Number(env.STRIPE_TIMEOUT_MS ?? 20000),
      maxNetworkRetries: Number(env.STRIPE_MAX_RETRIES ?? 2),
    },
    smtp: {
      host: env.SMTP_HOST ?? "localhost",
      port: Number(env.SMTP_PORT ?? 25),
      user: env.SMTP_USER,
      password: env.SMTP_PASSWORD,
    },
    mailFrom: env.MAIL_FROM ?? "shop@example.com",
    twilio: {
      accountSid: need("TWILIO_ACCOUNT_SID"),
      authToken: need("TWILIO_AUTH_TOKEN"),
      apiBase: env.TWILIO_API_BASE, // unset: api.twilio.com
      from: env.SMS_FROM ?? "+15005550006",
    },
    sendgrid: {
      apiKey: need("SENDGRID_API_KEY"),
      apiBase: env.SENDGRID_API_BASE, // unset: api.sendgrid.com
    },
  };
}
