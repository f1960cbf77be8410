"""Approvals (`--approve-each-step`): a person confirms each step that changes something, having seen its current
state and the exact commands it will run; who typed what, and when, goes into the journal.

The drill runs in a pytest child process while the person sits at `c8-drill run`'s terminal, so the two talk
through files in the drill's report directory: the child writes `approvals/<n>.request.json` and waits (bounded)
for `approvals/<n>.answer.json`, which the parent writes after asking. A file is written whole and then renamed
into place, so neither side ever reads half of one.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

APPROVALS_DIR = "approvals"
POLL_S = 0.1
DEFAULT_WAIT_S = 3600.0


@dataclass(frozen=True)
class ApprovalRequest:
    step_id: str
    title: str
    current_state: list[str]
    """The current-state checks as one line each, with their verdicts: what the approver looks at."""
    commands: list[str]
    """The exact commands the step's actions amount to (the runbook's lines for them)."""
    number: int = 0

    @property
    def token(self) -> str:
        """What must be typed to approve: the step id, so a stray Enter or `y` never approves a force removal."""
        return self.step_id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ApprovalRequest:
        return cls(
            step_id=str(value["step_id"]),
            title=str(value["title"]),
            current_state=[str(line) for line in value["current_state"]],
            commands=[str(line) for line in value["commands"]],
            number=int(value["number"]),
        )


@dataclass(frozen=True)
class Approval:
    approved: bool
    approver: str
    typed: str
    reason: str = ""
    at_host: str = field(default_factory=socket.gethostname)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Approval:
        return cls(
            approved=value.get("approved") is True,
            approver=str(value.get("approver", "")),
            typed=str(value.get("typed", "")),
            reason=str(value.get("reason", "")),
            at_host=str(value.get("at_host", "")),
        )


class Approver(Protocol):
    def __call__(self, request: ApprovalRequest) -> Approval: ...


def judge(request: ApprovalRequest, typed: str, approver: str) -> Approval:
    """Only the exact step id approves; anything else (empty, `y`, another step's id) refuses, and says why."""
    typed = typed.strip()
    if typed == request.token:
        return Approval(True, approver, typed)
    return Approval(False, approver, typed, f"expected the step id {request.token!r} typed, got {typed!r}")


def default_approver_name() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _write_atomic(path: Path, value: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


class FileApprover:
    """The child's side: asks by writing a request file, then waits for the answer file (bounded in time)."""

    def __init__(
        self,
        directory: Path,
        *,
        wait_s: float = DEFAULT_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory, self.wait_s, self.sleep, self.clock = directory, wait_s, sleep, clock

    def __call__(self, request: ApprovalRequest) -> Approval:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_atomic(request_path(self.directory, request.number), request.to_json())
        answer = answer_path(self.directory, request.number)
        deadline = self.clock() + self.wait_s
        while True:
            if answer.exists():
                try:
                    return Approval.from_json(json.loads(answer.read_text(encoding="utf-8")))
                except (OSError, ValueError, TypeError, AttributeError) as exc:
                    return Approval(False, "", "", f"the answer file {answer} is not an approval: {exc}")
            if self.clock() >= deadline:
                return Approval(False, "", "", f"no answer within {self.wait_s:g} s (expected {answer})")
            self.sleep(POLL_S)


def request_path(directory: Path, number: int) -> Path:
    return directory / f"{number:03d}.request.json"


def answer_path(directory: Path, number: int) -> Path:
    return directory / f"{number:03d}.answer.json"


def pending_requests(directory: Path) -> list[ApprovalRequest]:
    """Requests without an answer yet, oldest first (the parent's side)."""
    if not directory.is_dir():
        return []
    pending = []
    for path in sorted(directory.glob("*.request.json")):
        try:
            request = ApprovalRequest.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours or being replaced; the next poll sees it whole
        if not answer_path(directory, request.number).exists():
            pending.append(request)
    return pending


def answer(directory: Path, request: ApprovalRequest, approval: Approval) -> None:
    _write_atomic(answer_path(directory, request.number), approval.to_json())
