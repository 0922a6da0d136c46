"""The fault rule as posted to ``POST /__admin/faults``: pydantic models, imported on first use.

:mod:`fakeservices.core.faults` names them (``from fakeservices.core.faults import FaultSpec``
works) but imports this module only when one is first asked for: pydantic and these models cost
about a fifth of the server's start-up, and a server that is never given a fault rule never needs
them. The fault points (the gateway, the SMTP listener) import the action classes where a rule
has fired.
"""

from __future__ import annotations

import math
import random
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fakeservices.core.faults import SmtpStage


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Strict):
    method: str | None = None
    path: str | None = Field(None, description="glob, e.g. /v1/payment_intents*")
    account: str | None = None
    to: str | None = Field(None, description="recipient address or phone number")
    from_: str | None = Field(None, alias="from", description="sender address or phone number")


class Uniform(_Strict):
    min_ms: float = Field(ge=0)
    max_ms: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max_ms < self.min_ms:
            raise ValueError("max_ms must be >= min_ms")
        return self


class Lognormal(_Strict):
    median_ms: float = Field(gt=0)
    sigma: float = Field(ge=0, le=10)


class Distribution(_Strict):
    uniform: Uniform | None = None
    lognormal: Lognormal | None = None

    @model_validator(mode="after")
    def _one(self) -> Distribution:
        if (self.uniform is None) == (self.lognormal is None):
            raise ValueError("give exactly one of uniform or lognormal")
        return self


class ErrorAction(_Strict):
    type: Literal["error"]
    status: int = Field(ge=400, le=599)
    body: dict[str, Any] | list[Any] | str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class DelayAction(_Strict):
    type: Literal["delay"]
    ms: float | None = Field(None, ge=0, le=3_600_000)
    distribution: Distribution | None = None
    stage: SmtpStage = "data"

    @model_validator(mode="after")
    def _one(self) -> DelayAction:
        if (self.ms is None) == (self.distribution is None):
            raise ValueError("give exactly one of ms or distribution")
        return self

    def seconds(self, rng: random.Random) -> float:
        if self.ms is not None:
            return self.ms / 1000
        dist = self.distribution
        assert dist is not None
        if dist.uniform is not None:
            return rng.uniform(dist.uniform.min_ms, dist.uniform.max_ms) / 1000
        assert dist.lognormal is not None
        ln = dist.lognormal
        return min(rng.lognormvariate(math.log(ln.median_ms), ln.sigma), 3_600_000) / 1000


class TimeoutAction(_Strict):
    type: Literal["timeout"]
    stage: SmtpStage = "data"


class DropAction(_Strict):
    type: Literal["drop"]
    stage: SmtpStage = "data"


class MalformedAction(_Strict):
    type: Literal["malformed"]


class SmtpReplyAction(_Strict):
    type: Literal["smtp_reply"]
    code: int = Field(ge=400, le=599)
    enhanced: str | None = Field(None, pattern=r"^[45]\.\d{1,3}\.\d{1,3}$")
    message: str = Field("Injected fault", max_length=500)
    stage: SmtpStage = "rcpt"

    @model_validator(mode="after")
    def _class_matches(self) -> SmtpReplyAction:
        if self.enhanced is not None and self.enhanced[0] != str(self.code)[0]:
            raise ValueError("enhanced status class must match the reply code (4.x.x for 4xx)")
        if "\r" in self.message or "\n" in self.message:
            raise ValueError("message must be one line")
        return self

    def reply(self) -> str:
        enhanced = f"{self.enhanced} " if self.enhanced else ""
        return f"{self.code} {enhanced}{self.message}"


class RateLimitAction(_Strict):
    """Refuse what goes past ``limit`` matching requests in any ``per_seconds`` window.

    HTTP: the endpoint's native rate-limit answer (429 in most envelopes) with ``Retry-After``.
    SMTP: ``smtp_code`` (451 defers the message, 421 also closes the connection) with the
    enhanced code, at ``stage`` (``mail`` by default: one count per message).
    """

    type: Literal["rate_limit"]
    limit: int = Field(ge=1, le=100_000)
    per_seconds: float = Field(gt=0, le=86_400)
    per_sender: bool = Field(False, description="a window per (account, sender), not per account")
    smtp_code: Literal[421, 451] = 451
    enhanced: str = Field("4.7.0", pattern=r"^4\.\d{1,3}\.\d{1,3}$")
    message: str | None = Field(None, max_length=500)
    stage: SmtpStage = "mail"

    @model_validator(mode="after")
    def _one_line(self) -> RateLimitAction:
        if self.message is not None and ("\r" in self.message or "\n" in self.message):
            raise ValueError("message must be one line")
        return self

    def describe(self, retry_after: int) -> str:
        """The refusal's text (the SMTP reply text and the HTTP error message)."""
        if self.message is not None:
            return self.message
        return (
            f"Rate limit exceeded: {self.limit} per {self.per_seconds:g} s; "
            f"try again in {retry_after} s"
        )

    def smtp_reply(self, retry_after: int) -> str:
        return f"{self.smtp_code} {self.enhanced} {self.describe(retry_after)}"


Action = Annotated[
    ErrorAction
    | DelayAction
    | TimeoutAction
    | DropAction
    | MalformedAction
    | SmtpReplyAction
    | RateLimitAction,
    Field(discriminator="type"),
]


class FaultSpec(_Strict):
    """A fault rule as posted to ``POST /__admin/faults``."""

    service: str
    match: Match = Match()
    action: Action
    times: int | None = Field(None, ge=1)
    probability: float = Field(1.0, ge=0, le=1)
    after: int = Field(0, ge=0)
    seed: int | None = None
