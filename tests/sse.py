"""A small Server-Sent Events reader over httpx for tests (bounded: each read has a timeout)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Message:
    """One SSE message: its id, event and data (parsed as JSON), or a comment block."""

    id: str | None = None
    event: str | None = None
    data: Any = None
    comments: list[str] = field(default_factory=list)

    @property
    def is_comment(self) -> bool:
        return self.event is None and self.data is None


def parse(lines: Iterator[str]) -> Iterator[Message]:
    msg = Message()
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                msg.data = json.loads("\n".join(data))
            if data or msg.comments or msg.event or msg.id:
                yield msg
            msg, data = Message(), []
        elif line.startswith(":"):
            msg.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "id":
                msg.id = value
            elif name == "event":
                msg.event = value
            elif name == "data":
                data.append(value)


class Stream:
    """An open ``/__admin/events`` stream; ``next_event`` skips comments (heartbeats)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.messages = parse(response.iter_lines())
        # The first message is the comment the server writes once it has subscribed: events
        # caused after this returns are on the stream.
        first = next(self.messages)
        assert first.is_comment and first.comments[0].startswith("fakeservices events"), first

    def next_message(self) -> Message:
        return next(self.messages)

    def next_event(self, limit: int = 200) -> Message:
        for _ in range(limit):
            msg = next(self.messages)
            if not msg.is_comment:
                return msg
        raise AssertionError(f"no event in {limit} messages")

    def until(self, pred: Callable[[Message], bool], limit: int = 200) -> list[Message]:
        """Events up to and including the first that matches ``pred`` (at most ``limit``)."""
        seen = []
        for _ in range(limit):
            msg = self.next_event()
            seen.append(msg)
            if pred(msg):
                return seen
        raise AssertionError(f"no matching event in {limit}: {[m.event for m in seen]}")


@contextmanager
def open_stream(
    base_url: str, params: Any = None, headers: dict[str, str] | None = None
) -> Iterator[Stream]:
    """Connect to ``/__admin/events``; each read waits at most 10 s."""
    with (
        httpx.Client(base_url=base_url, timeout=10) as client,
        client.stream("GET", "/__admin/events", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Stream(response)
