"""A planned command: what it runs and why, printable for a dry run and runnable through the CommandRunner.

Values only known at run time (a node container's IP on the `kind` network) are captured into named variables by
an earlier command (`capture="REGION1_NODE_IP"`) and referenced as `${REGION1_NODE_IP}` in later argv tokens: a
dry run prints `REGION1_NODE_IP=$(docker inspect ...)` and `"${REGION1_NODE_IP}"`, which a shell runs as is; the
executor substitutes the captured value.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from drill.platform.commands import CommandResult, CommandRunner

VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class CommandFailed(Exception):
    def __init__(self, command: PlannedCommand, result: CommandResult) -> None:
        self.command, self.result = command, result
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        super().__init__(
            f"{command.why}: expected exit code 0 from {shlex.join(command.argv)}, got {result.exit_code}"
            + (f" ({' / '.join(tail)})" if tail else "")
        )


@dataclass(frozen=True)
class PlannedCommand:
    argv: tuple[str, ...]
    why: str
    # Text fed to stdin (e.g. a manifest for `kubectl apply -f -`); printed as a heredoc in a dry run.
    stdin: str | None = None
    timeout: float = 600.0
    capture: str | None = None  # store stripped stdout under this variable name for later ${NAME} tokens

    def __post_init__(self) -> None:
        if not self.argv or not all(isinstance(a, str) and a for a in self.argv):
            raise ValueError(f"Expected a non-empty argv of non-empty strings, got {self.argv!r}")
        if self.capture is not None and not VARIABLE.fullmatch("${" + self.capture + "}"):
            raise ValueError(f"Expected a capture name like NODE_IP (A-Z, 0-9, _), got {self.capture!r}")

    def shell(self) -> str:
        """The command as a person would type it: `# why`, the line, and its stdin as a heredoc."""
        line = " ".join(_quote(token) for token in self.argv)
        if self.capture is not None:
            line = f"{self.capture}=$({line})"
        if self.stdin is not None:
            line = f"{line} <<'EOF'\n{self.stdin.rstrip()}\nEOF"
        return f"# {self.why}\n{line}"

    def resolved(self, captured: dict[str, str]) -> tuple[str, ...]:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in captured:
                raise KeyError(f"{self.why}: ${{{name}}} is used before any command captured it")
            return captured[name]

        return tuple(VARIABLE.sub(value, token) for token in self.argv)


def _quote(token: str) -> str:
    if VARIABLE.search(token):
        return '"' + token.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'
    return shlex.quote(token)


def render(commands: Sequence[PlannedCommand]) -> str:
    return "\n\n".join(c.shell() for c in commands) + "\n"


def execute(commands: Sequence[PlannedCommand], runner: CommandRunner) -> dict[str, str]:
    """Run in order; the first non-zero exit stops everything (CommandFailed). Returns the captured values."""
    captured: dict[str, str] = {}
    for command in commands:
        result = runner.run(command.resolved(captured), timeout=command.timeout, input=command.stdin)
        if not result.ok:
            raise CommandFailed(command, result)
        if command.capture is not None:
            captured[command.capture] = result.stdout.strip()
    return captured
