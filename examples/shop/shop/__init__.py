"""A small shop: users, orders paid with Stripe, a welcome email over SMTP, an SMS on payment.

Production code with no knowledge of fakeservices: every address and credential comes from
environment variables (see ``settings.py``).
"""
