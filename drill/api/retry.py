"""Bounded retries of single requests: what a flaky network or a restarting gateway must not turn into a failed drill.

A drill runs for minutes against a system that is being torn down and rebuilt on purpose, so a 503 from a gateway
that is electing a leader, or a refused connection while a port-forward comes back, is expected now and then; a
step must not fail on one. A retry must never change what the drill does, though: only transient failures are
retried (`ApiError.transient`), each retry is reported (`on_retry`, the journal's `retry` records), and the
whole budget is bounded both in attempts and in time, so a region that is really gone fails the step in seconds.
Whether a failed request may be sent again at all is the caller's decision (`retryable`): a write whose outcome is
unknown must not be repeated blindly (see BaseClient._send and ManagementClient's retry by observation).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from drill.api.errors import ApiError, HttpStatusError, TransportError, WrappedStatusError
from drill.api.waits import Backoff

T = TypeVar("T")
OnRetry = Callable[["RetryEvent"], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one request may be tried.

    `attempts` counts every try, the first included; the delay before try n+1 is `first * factor**(n-1)`, at most
    `cap`; no try starts once the time since the first one plus the next delay would pass `total`. `sleep` and
    `clock` are injectable so tests never really wait.
    """

    attempts: int = 4
    first: float = 0.2
    factor: float = 2.0
    cap: float = 2.0
    total: float = 15.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ValueError(f"attempts must be an integer of at least 1, got {self.attempts!r}")
        for name, minimum in (("first", 0.0), ("factor", 1.0), ("cap", 0.0), ("total", 0.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum:g}, got {value!r}")

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt: for callers that handle failures themselves, or must see the first one."""
        return cls(attempts=1)

    def backoff(self) -> Backoff:
        return Backoff(first=self.first, factor=self.factor, cap=self.cap)


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt that is followed by another one (or by adopting what it did, `adopted`).

    `call` is `METHOD URL` of the request that failed (the token request, if that was it), `attempt` the number of
    the failed try (1 = the first), `delay_s` the wait before the next try.
    """

    call: str
    attempt: int
    error: str
    delay_s: float
    reason: str
    adopted: bool = False


def reason_of(exc: ApiError) -> str:
    """Why a failure counts as transient, in a few words for the journal: `transient: HTTP 503`."""
    if isinstance(exc, WrappedStatusError):
        return f"transient: HTTP {exc.http_status} wrapping status {exc.status}"
    if isinstance(exc, HttpStatusError):
        return f"transient: HTTP {exc.status}"
    if isinstance(exc, TransportError):
        return f"transient: {exc.kind}" if exc.kind else "transient: no answer"
    return "transient" if exc.transient else "permanent"


class Budget:
    """The running account of one retried call: tries made, time spent, the next delay.

    Shared by the generic loop (`retrying`) and loops that decide per failure what to do (a management write that
    is retried by observation), so both count attempts and time the same way.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = policy.clock()
        self.tries = 0
        self._delays: Iterator[float] = iter(policy.backoff())

    def elapsed(self) -> float:
        return self.policy.clock() - self.started

    def remaining(self) -> float:
        return self.policy.total - self.elapsed()

    def next_delay(self) -> float | None:
        """The delay before another try, or None when the attempts or the time are used up."""
        if self.tries >= self.policy.attempts:
            return None
        delay = next(self._delays)
        if self.elapsed() + delay > self.policy.total:
            return None
        return delay

    def gave_up(self, exc: ApiError) -> ApiError:
        """`exc`, its message saying how much was tried; unchanged when the policy allows a single try."""
        if self.policy.attempts <= 1:
            return exc
        tries = f"{self.tries} attempt{'s' if self.tries != 1 else ''}"
        if self.tries >= self.policy.attempts:
            return exc.annotate(f"gave up after {tries} in {self.elapsed():.1f} s")
        return exc.annotate(
            f"gave up after {tries} in {self.elapsed():.1f} s: another would pass the {self.policy.total:g} s budget"
        )


def retrying(
    attempt: Callable[[], T],
    *,
    retryable: Callable[[ApiError], bool],
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
) -> T:
    """Call `attempt` until it returns, retrying the ApiErrors `retryable` accepts, within `policy`.

    An error `retryable` refuses propagates at once and unchanged; the last retryable one propagates when the
    budget is used up, its message saying so. Anything but an ApiError is a bug and is never retried.
    """
    budget = Budget(policy)
    while True:
        budget.tries += 1
        try:
            return attempt()
        except ApiError as exc:
            if not retryable(exc):
                raise
            delay = budget.next_delay()
            if delay is None:
                budget.gave_up(exc)
                raise
            if on_retry is not None:
                on_retry(RetryEvent(exc.call, budget.tries, str(exc), delay, reason_of(exc)))
            policy.sleep(delay)
