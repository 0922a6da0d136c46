"""A small subscription (SaaS) app: plans through Stripe Billing, access from its webhooks."""
