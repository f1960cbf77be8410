"""A supervised `kubectl port-forward` to one Service: free local ports, read from kubectl's own output.

`kubectl port-forward svc/...` binds to one pod when it starts and dies when that pod goes away (kubectl#686),
which is exactly what happens during a failover drill; so the forward is restarted whenever it is found dead,
and its output is drained for as long as it runs (kubectl prints a line per connection and would block on a
full pipe). The process launcher is injectable so tests can stand in a fake kubectl.
"""

from __future__ import annotations

import queue
import re
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import IO, Protocol

from drill.api.errors import excerpt
from drill.platform.base import PlatformError

FORWARDING = re.compile(r"^Forwarding from 127\.0\.0\.1:(?P<local>\d+) -> (?P<remote>\d+)\s*$")
STOP_GRACE_SECONDS = 3.0
TAIL_LINES = 20


class ForwardProcess(Protocol):
    """The part of `subprocess.Popen` a forward needs."""

    @property
    def stdout(self) -> IO[str] | None: ...

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


Launcher = Callable[[Sequence[str]], ForwardProcess]


def launch(argv: Sequence[str]) -> ForwardProcess:
    """Start kubectl with stderr folded into stdout, so its errors explain a forward that never came up."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )


def port_forward_argv(
    service: str, remote_ports: Sequence[int], *, context: str, namespace: str, kubectl: str = "kubectl"
) -> list[str]:
    """`kubectl ... port-forward svc/NAME :P1 :P2 --address 127.0.0.1`: `:P` lets kubectl pick a free port."""
    ports = [f":{port}" for port in remote_ports]
    argv = [kubectl, "--context", context, "-n", namespace, "port-forward", f"svc/{service}", *ports]
    return [*argv, "--address", "127.0.0.1"]


class PortForward:
    """One kubectl port-forward process; `ensure()` (re)starts it and returns {remote port: local port}."""

    def __init__(
        self,
        target: str,
        service: str,
        remote_ports: Sequence[int],
        *,
        context: str,
        namespace: str,
        kubectl: str = "kubectl",
        launcher: Launcher | None = None,
        ready_timeout: float = 15.0,
    ) -> None:
        self.target = target
        self.service = service
        self.remote_ports = tuple(remote_ports)
        self.argv = port_forward_argv(service, remote_ports, context=context, namespace=namespace, kubectl=kubectl)
        self.launcher = launcher or launch
        self.ready_timeout = ready_timeout
        self.process: ForwardProcess | None = None
        self.local_ports: dict[int, int] = {}
        self.starts = 0
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def operation(self) -> str:
        return f"port-forward svc/{self.service} ({shlex.join(self.argv)})"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None and bool(self.local_ports)

    def ensure(self) -> dict[int, int]:
        if not self.alive():
            self.stop()
            self._start()
        return dict(self.local_ports)

    def _start(self) -> None:
        self.starts += 1
        self.tail.clear()
        self._lines = queue.Queue()
        try:
            process = self.launcher(self.argv)
        except OSError as exc:
            raise PlatformError(self.target, self.operation, "kubectl to start", exc.strerror or str(exc)) from exc
        self.process = process
        drain = threading.Thread(target=self._drain, args=(process, self._lines), name="port-forward", daemon=True)
        drain.start()
        self.local_ports = self._await_ports(process, self._lines)

    def _drain(self, process: ForwardProcess, lines: queue.Queue[str | None]) -> None:
        """Read kubectl's output until it closes: hands lines to the starter, then keeps the pipe empty."""
        stream = process.stdout
        try:
            if stream is not None:
                for line in iter(stream.readline, ""):
                    lines.put(line.rstrip("\n"))
        except (OSError, ValueError):  # a broken pipe ends the forward like EOF does
            pass
        finally:
            lines.put(None)
            if stream is not None:
                stream.close()

    def _await_ports(self, process: ForwardProcess, lines: queue.Queue[str | None]) -> dict[int, int]:
        expected = " and ".join(f"'Forwarding from 127.0.0.1:N -> {p}'" for p in self.remote_ports)
        expected += f" within {self.ready_timeout:g} s"
        found: dict[int, int] = {}
        deadline = time.monotonic() + self.ready_timeout
        while set(found) != set(self.remote_ports):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise PlatformError(self.target, self.operation, expected, self._seen("no such line")) from None
            if line is None:
                code = process.poll()
                self.stop()
                what = f"exit code {code}" if code is not None else "its output closed"
                raise PlatformError(self.target, self.operation, expected, self._seen(what))
            self.tail.append(line)
            match = FORWARDING.match(line)
            if match:
                found[int(match.group("remote"))] = int(match.group("local"))
        return found

    def _seen(self, what: str) -> str:
        output = " | ".join(self.tail)
        return f"{what}; output: {excerpt(output)}" if output else f"{what}; no output"

    def stop(self) -> None:
        process, self.process = self.process, None
        self.local_ports = {}
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_GRACE_SECONDS)
