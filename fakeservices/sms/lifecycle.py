"""The in-process scheduler that moves each message through its statuses on the server loop.

For every status in :meth:`SmsModel.plan` of an accepted message a timer waits
``step_seconds`` (0 allowed), moves the message on (``store.touch`` wakes admin waiters) and, when
the message has a ``StatusCallback``, hands a signed callback to the shared outbound sender (which
retries and records it). A message deleted, reset or evicted meanwhile simply stops. (Timers on the
loop rather than a task per message: a task and its two sleeps cost a Twilio create about as much
as its JSON rendering did.)

A scheduled message (status ``scheduled``) first waits until its ``SendAt`` by the model's clock,
then goes through the same statuses; :meth:`Lifecycle.wake` cuts the wait short when the message
was canceled or made due now (``POST /__admin/sms/{sid}/send-now``).
"""

from __future__ import annotations

import asyncio
import logging

from fakeservices.core.outbound import Outbound
from fakeservices.sms.callbacks import status_delivery
from fakeservices.sms.model import Message, SmsModel

log = logging.getLogger("fakeservices.sms")


class Lifecycle:
    def __init__(self, model: SmsModel, outbound: Outbound, step_seconds: float) -> None:
        self.model = model
        self.outbound = outbound
        self.step_seconds = step_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        #: The next step's timer of each message between two steps, by sid.
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._stopped = False
        #: Scheduled messages waiting for their SendAt, by sid: set to re-check early.
        self._waiting: dict[str, asyncio.Event] = {}

    def begin(self, message: Message) -> None:
        """Schedule the message's remaining statuses (call on the server loop)."""
        if self._stopped:
            return
        if message.status != "scheduled":
            self._next(message, self.model.plan(message), 0)
            return
        task = asyncio.get_running_loop().create_task(self._run(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return len(self._tasks) + len(self._timers)

    def _next(self, message: Message, plan: list[str], step: int) -> None:
        """Take ``plan[step]`` in ``step_seconds`` (nothing when the plan is done)."""
        if step < len(plan):
            loop = asyncio.get_running_loop()
            self._timers[message.sid] = loop.call_later(
                self.step_seconds, self._take, message, plan, step
            )

    def _take(self, message: Message, plan: list[str], step: int) -> None:
        """The timer's callback: one step of the plan, then the timer of the next one."""
        self._timers.pop(message.sid, None)
        if self._step(message, plan[step]):
            self._next(message, plan, step + 1)

    def wake(self, message: Message) -> None:
        """Re-check a waiting scheduled message now (it was canceled or made due)."""
        event = self._waiting.get(message.sid)
        if event is not None:
            event.set()

    async def _until_due(self, message: Message) -> bool:
        """Wait for a scheduled message's SendAt; False if it stopped being scheduled."""
        event = self._waiting[message.sid] = asyncio.Event()
        try:
            # Each pass ends at SendAt or on wake(); a clock that jumps ahead ends it at once.
            for _ in range(1_000_000):
                if message.status != "scheduled" or self.model.store.get(message.id) is not message:
                    return False
                delay = (message.send_at or 0.0) - self.model.clock()
                if delay <= 0:
                    return True
                try:
                    async with asyncio.timeout(delay):
                        await event.wait()
                except TimeoutError:
                    pass
                event.clear()
            return False
        finally:
            self._waiting.pop(message.sid, None)

    async def _run(self, message: Message) -> None:
        if message.status == "scheduled" and not await self._until_due(message):
            return
        for status in self.model.plan(message):
            await asyncio.sleep(self.step_seconds)
            if not self._step(message, status):
                return

    def _step(self, message: Message, status: str) -> bool:
        """Move ``message`` to ``status`` and send its callback; False if it stopped meanwhile
        (deleted, reset, evicted or canceled)."""
        if self.model.store.get(message.id) is not message or message.final:
            return False
        self.model.advance(message, status)
        if message.status_callback:
            try:
                self.outbound.send(status_delivery(message, message.status_callback))
            except Exception:  # a bad URL must not stop the lifecycle
                log.exception("status callback for %s not sent", message.sid)
        return True

    def start(self) -> None:
        self._stopped = False

    async def stop(self) -> None:
        self._stopped = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
