"""fakeservices: in-memory fakes of Stripe, Twilio and email services on their real wire."""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakeservices.client import AsyncFakeServices, FakeServices
    from fakeservices.server import start_server

__all__ = ["AsyncFakeServices", "FakeServices", "__version__", "start_server"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import fakeservices` stays cheap (e.g. for the pytest plugin).
    if name == "start_server":
        from fakeservices.server import start_server

        return start_server
    if name in ("FakeServices", "AsyncFakeServices"):
        from fakeservices import client

        return getattr(client, name)
    raise AttributeError(f"module 'fakeservices' has no attribute {name!r}")
