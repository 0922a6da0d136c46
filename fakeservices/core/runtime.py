"""The runtime: the state one server instance shares between its listeners and fakes."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fakeservices.core.changes import ChangeFeed
from fakeservices.core.clock import Clock, SystemClock
from fakeservices.core.config import Config
from fakeservices.core.faults import FaultEngine
from fakeservices.core.journal import Journal
from fakeservices.core.looplag import LoopLag
from fakeservices.core.metrics import Metrics
from fakeservices.core.openapi import ApiDoc
from fakeservices.core.outbound import Delivery, Outbound
from fakeservices.core.registry import BUILTIN_SERVICES, Endpoint, FakeService, load_services
from fakeservices.core.store import Counted, SeqClock, Store

log = logging.getLogger("fakeservices")


class Runtime:
    """Config, the shared stores and the loaded fakes of one server."""

    def __init__(
        self,
        config: Config,
        services: tuple[str, ...] = BUILTIN_SERVICES,
        time: Clock | None = None,
    ) -> None:
        self.config = config
        #: The sequence every store item and change is numbered on.
        self.clock = SeqClock()
        #: The clock every fake reads (Stripe timestamps, rate-limit windows); a test may pass a
        #: ManualClock.
        self.time: Clock = time or SystemClock()
        #: Every store change of this server, for waiters and the events stream.
        self.changes = ChangeFeed()
        self.journal = Journal(
            config.journal_size, self.clock, config.journal_body_bytes, self.changes
        )
        self.metrics = Metrics()
        #: How late the event loop runs (health's ``loop_lag``, the metrics' loop lag gauges).
        self.loop_lag = LoopLag()
        self.api_doc = ApiDoc()
        self.http_port: int | None = None
        self.smtp_port: int | None = None
        self._shutdown = asyncio.Event()
        self.deliveries: Store[Delivery] = self.new_store("webhook_deliveries")
        self.outbound = Outbound(
            self.deliveries, config.delivery_attempts, config.delivery_backoff_seconds
        )
        self.services: list[FakeService] = load_services(self, services)
        groups: dict[str, tuple[str, ...]] = {}
        for service in self.services:
            groups.update(service.fault_groups())
        self.faults = FaultEngine(
            config.fault_seed, groups, self.changes, self.clock.next, self.time
        )

    def new_store(self, name: str) -> Store[Any]:
        """A store capped by ``--max-messages`` on the shared clock, publishing to the feed."""
        return Store(name, self.config.max_messages, self.clock, self.changes)

    def stores(self) -> dict[str, Store[Any]]:
        out: dict[str, Store[Any]] = {
            "requests": self.journal.store,
            "webhook_deliveries": self.deliveries,
        }
        for service in self.services:
            out.update(service.stores())
        return out

    def counted(self) -> dict[str, Counted]:
        """Everything health and metrics count: the stores and the fakes' other bounded sets."""
        out: dict[str, Counted] = dict(self.stores())
        for service in self.services:
            out.update(service.counted())
        return out

    def route(self, method: str, path: str) -> tuple[FakeService, Endpoint] | None:
        """The fake that serves ``path`` and the endpoint within it."""
        for service in self.services:
            endpoint = service.endpoint(method, path)
            if endpoint is not None:
                return service, endpoint
        return None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def shutting_down(self) -> bool:
        return self._shutdown.is_set()

    async def hold(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, cut short by shutdown; True if the full time passed.

        Used to hold a request open (timeouts) without burning CPU.
        """
        end = time.perf_counter() + seconds
        try:
            async with asyncio.timeout(seconds):
                await self._shutdown.wait()
        except TimeoutError:
            # uvloop's timers have millisecond resolution and can fire up to 1 ms early; a
            # delay promises at least its duration, so sleep out the rest once.
            left = end - time.perf_counter()
            if left > 0 and not self.shutting_down:
                await asyncio.sleep(left + 0.001)
            return True
        return False

    async def start(self) -> None:
        self.loop_lag.start()
        for service in self.services:
            await service.start()

    async def stop(self) -> None:
        """Release held requests and waiters, then stop each fake's background work."""
        self._shutdown.set()
        self.changes.close()
        for store in self.stores().values():
            store.wake_all()
        for service in self.services:
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
        await self.outbound.stop()
        await self.loop_lag.stop()
