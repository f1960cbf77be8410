"""A clock that moves only when the code under test sleeps (or a handler says a request took time): waits and
retries are tested for their bounds and delays without any test really waiting."""

from __future__ import annotations

from typing import Any

from drill.api.retry import RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def policy(self, **kwargs: Any) -> RetryPolicy:
        return RetryPolicy(sleep=self.sleep, clock=self.clock, **kwargs)
