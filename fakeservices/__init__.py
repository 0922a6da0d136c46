"""fakeservices: in-memory fakes of Stripe, Twilio and email services on their real wire."""

__version__ = "0.1.0"

__all__ = ["__version__"]
