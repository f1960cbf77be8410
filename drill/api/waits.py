"""Bounded waiting: every wait in the drill has a total deadline, and a timeout says what was last seen.

Asynchronous steps (cluster changes, export to Elasticsearch, pods becoming ready) are observed by polling. An
unbounded or silent poll is how a drill hangs at 3 a.m., so `wait_until` never sleeps past its deadline, always
probes at least once, retries only what is transient, and reports the last observation when it gives up.

The deadline is checked between probes, not inside one: a probe that is an API call retries its own transient
failures within its client's RetryPolicy, so a wait may overrun its bound by at most one probe's retry budget
(the policy's `total`, 15 s by default, plus that probe's request timeouts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from drill.api.errors import ApiError, WaitTimeout

T = TypeVar("T")

# A wait notices what it waits for within max(DETECTION_FLOOR_S, DETECTION_SHARE x time waited so far) plus one
# probe: a change that completes after 3 s is seen within ~0.25 s, one that takes 10 minutes within a minute, and
# a long wait still polls gently. The bound is 250 ms or 10 %; these leave room for the probe itself.
DETECTION_FLOOR_S = 0.2
DETECTION_SHARE = 0.08


def next_poll_delay(backoff_delay: float, waited: float) -> float:
    """The backoff's delay, shortened so that a completion is noticed within the detection bound."""
    return min(backoff_delay, max(DETECTION_FLOOR_S, DETECTION_SHARE * waited))


@dataclass(frozen=True)
class Backoff:
    """Delays between polls: `first`, growing by `factor`, never above `cap` (seconds)."""

    first: float = 0.05
    factor: float = 1.6
    cap: float = 2.0

    def __post_init__(self) -> None:
        if self.first < 0 or self.cap < 0:
            raise ValueError(f"backoff delays must not be negative, got first={self.first}, cap={self.cap}")
        if self.factor < 1:
            raise ValueError(f"a backoff must not shrink, got factor={self.factor}")

    def __iter__(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield min(delay, self.cap)
            delay = min(delay * self.factor, self.cap)


@dataclass(frozen=True)
class Waited(Generic[T]):
    value: T
    attempts: int
    elapsed: float


def wait_until(
    probe: Callable[[], T | None],
    *,
    what: str,
    timeout: float,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    describe: Callable[[], str] | None = None,
    expected: str | None = None,
) -> Waited[T]:
    """Call `probe` until it returns something other than None, within `timeout` seconds in total, polling
    often enough to notice the result within the detection bound (`next_poll_delay`).

    A transient ApiError from the probe counts as "not yet" (and is reported if it was the last observation);
    any other error propagates at once. On timeout raises WaitTimeout(call=what, seen=`describe()` or the last
    transient error).
    """
    start = clock()
    deadline = start + timeout
    delays = iter(backoff or Backoff())
    attempts = 0
    while True:
        attempts += 1
        last_error: ApiError | None = None
        try:
            value = probe()
        except ApiError as exc:
            if not exc.transient:
                raise
            last_error, value = exc, None
        now = clock()
        if value is not None:
            return Waited(value, attempts, now - start)
        remaining = deadline - now
        if remaining <= 0:
            if last_error is not None:
                seen = f"last error: {last_error}"
            else:
                seen = describe() if describe is not None else "no result yet"
            raise WaitTimeout(
                what,
                expected or f"success within {timeout:g} s",
                f"{seen} (after {attempts} attempt{'s' if attempts != 1 else ''} in {now - start:.1f} s)",
                attempts=attempts,
                elapsed=now - start,
            ) from last_error
        sleep(min(next_poll_delay(next(delays), now - start), remaining))
