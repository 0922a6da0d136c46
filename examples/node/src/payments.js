// Payments through stripe-node.

import Stripe from "stripe";

/** A Stripe client from the settings (`apiBase` pointing elsewhere than api.stripe.com). */
export function stripeClient(settings) {
  const config = {
    timeout: settings.stripe.timeoutMs,
    maxNetworkRetries: settings.stripe.maxNetworkRetries,
  };
  if (settings.stripe.apiBase) {
    const base = new URL(settings.stripe.apiBase);
    config.protocol = base.protocol.replace(":", "");
    config.host = base.hostname;
    config.port = base.port || (config.protocol === "https" ? 443 : 80);
  }
  return new Stripe(settings.stripe.apiKey, config);
}

/**
 * Charge a card; resolves to `{status: "paid"|"declined"|"timeout"|"error", paymentIntent,
 * declineCode, message}`. Declines and outages are results, not exceptions.
 */
export async function charge(stripe, { orderId, amount, currency, paymentMethod }) {
  try {
    const intent = await stripe.paymentIntents.create({
      amount,
      currency,
      payment_method: paymentMethod,
      confirm: true,
      metadata: { order_id: String(orderId) },
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    });
    if (intent.status !== "succeeded") {
      return { status: "error", paymentIntent: intent.id, message: `unexpected status ${intent.status}` };
    }
    return { status: "paid", paymentIntent: intent.id };
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      return {
        status: "declined",
        paymentIntent: error.raw?.payment_intent?.id ?? null,
        declineCode: error.decline_code ?? error.code,
        message: error.message,
      };
    }
    if (error instanceof Stripe.errors.StripeConnectionError) {
      return { status: "timeout", message: `payment provider unreachable: ${error.message}` };
    }
    if (error instanceof Stripe.errors.StripeError) {
      return { status: "error", message: error.message };
    }
    throw error;
  }
}

/** The verified event of a webhook request (throws when the signature does not match). */
export function verifyWebhook(stripe, settings, payload, signature) {
  if (!settings.stripe.webhookSecret) throw new Error("no webhook secret configured");
  return stripe.webhooks.constructEvent(payload, signature, settings.stripe.webhookSecret);
}
