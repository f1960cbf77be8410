"""The drill journal: an append-only, hash-chained, redacted JSONL file that every report is made from.

Auditors must be able to trust that the evidence is complete and unaltered, so each line records the sha256 of
the line before it (`prev`) and a gap-free `seq`; `verify_chain` recomputes both. Editing, removing or
reordering any line except the last breaks the chain; to protect the last line too, keep `last_hash`
(returned by `verify_chain`, also `Journal.last_hash`) somewhere the journal's writer cannot change.

Each record is written and flushed before `append` returns, and (by default) every record that a resumed drill
could not redo is fsynced first: what was changed, a stage's end, the drill's end. Observations (a read and its
answer, a check's verdict, a wait) are fsynced with the next such record, since a resume judges the live state again
anyway; on a slow disk an fsync per observation made the drill's bookkeeping slower than the drill. A crash
therefore loses at most the observations since the last change; a torn last line is reported as truncated.
Redaction runs inside `append`, so no writer can forget it, and long strings are trimmed after redaction, so a
cut never exposes part of a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from drill.evidence.records import DEFAULT_MAX_BODY, iso_utc, to_json, trim_strings
from drill.evidence.redaction import Redactor

FORMAT = "c8-dr-drill/journal/1"
GENESIS = "0" * 64
RESERVED_FIELDS = frozenset({"seq", "ts", "prev", "kind", "step"})
_FIRST_LINE_PREFIX = b'{"format":"' + FORMAT.encode() + b'"'
_EXCERPT = 40


class JournalError(Exception):
    """A journal cannot be created, continued or trusted; the message is one line naming the file and line."""


class NotAJournal(JournalError):
    """The file was never a c8-dr-drill journal (as opposed to one that was altered or cut short)."""


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a successful verification (a failed one raises JournalError instead)."""

    records: int
    last_hash: str
    ok: bool = True


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _encode(record: Mapping[str, Any]) -> bytes:
    # backslashreplace turns a lone surrogate into a JSON \u escape instead of failing the write.
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", errors="backslashreplace")


def _describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Journal:
    """Writes one drill's evidence. Make one with `create` (a new drill) or `open_for_append` (a resumed one).

    Safe to share between threads: HTTP hooks append from whichever thread made the request. `current_step`
    is added as `step` to every record while a step runs, so those exchanges are attributed to it.
    """

    def __init__(
        self,
        handle: IO[bytes],
        path: Path,
        *,
        seq: int,
        prev: str,
        redactor: Redactor | None,
        wall: Callable[[], datetime] | None,
        monotonic: Callable[[], float] | None,
        durable: bool,
        max_body: int,
    ) -> None:
        if max_body < 1:
            raise ValueError(f"max_body must be positive, got {max_body}")
        self.path = path
        self.redactor = redactor if redactor is not None else Redactor()
        self.max_body = max_body
        self.durable = durable
        self.current_step: str | None = None
        self._handle = handle
        self._seq = seq
        self._prev = prev
        self._wall = wall or _utc_now
        self._monotonic = monotonic or time.perf_counter
        self._lock = threading.Lock()
        self._closed = False
        self._failure: OSError | None = None
        self._end = handle.tell()  # the file offset up to which every line is accounted for in the chain

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        meta: Mapping[str, Any] | None = None,
        redactor: Redactor | None = None,
        wall: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        durable: bool = True,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> Journal:
        """Start a new journal at `path`; an existing empty file is reused, a non-empty one is never touched."""
        path = Path(path)
        try:
            handle = open(path, "ab")  # noqa: SIM115 - the journal owns the handle until close()
        except OSError as exc:
            raise JournalError(f"{path}: cannot create journal: {exc.strerror or exc}") from exc
        size = os.fstat(handle.fileno()).st_size
        if size:
            handle.close()
            raise JournalError(f"{path}: refusing to overwrite a non-empty file ({size} bytes); choose a new path")
        journal = cls(
            handle,
            path,
            seq=0,
            prev=GENESIS,
            redactor=redactor,
            wall=wall,
            monotonic=monotonic,
            durable=durable,
            max_body=max_body,
        )
        try:
            journal._write("journal", {"format": FORMAT, "meta": dict(meta or {})}, None)
        except BaseException:
            journal.close()
            raise
        return journal

    @classmethod
    def open_for_append(
        cls,
        path: Path,
        *,
        redactor: Redactor | None = None,
        wall: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        durable: bool = True,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> Journal:
        """Continue an existing journal after verifying its whole chain (a resumed drill must not extend a
        journal that was altered or torn)."""
        path = Path(path)
        try:
            handle = open(path, "r+b")  # noqa: SIM115 - the journal owns the handle until close()
        except OSError as exc:
            raise JournalError(f"{path}: cannot open journal for append: {exc.strerror or exc}") from exc
        try:
            records, last_hash = _scan(path, handle.read())
        except BaseException:
            handle.close()
            raise
        handle.seek(0, os.SEEK_END)
        return cls(
            handle,
            path,
            seq=len(records),
            prev=last_hash,
            redactor=redactor,
            wall=wall,
            monotonic=monotonic,
            durable=durable,
            max_body=max_body,
        )

    @property
    def last_hash(self) -> str:
        """sha256 of the last line written: an anchor that makes even the last line tamper-evident."""
        with self._lock:
            return self._prev

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, kind: str, /, **fields: Any) -> dict[str, Any]:
        """Write one record and return it exactly as written (redacted, trimmed, with seq/ts/prev/step)."""
        return self._write(kind, fields, self.max_body)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                try:
                    if self.durable:  # the last observations, if no record that matters followed them
                        self._handle.flush()
                        os.fsync(self._handle.fileno())
                finally:
                    self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Convenience writers: fixed field names, so reports can rely on them.

    def drill_start(
        self,
        *,
        target: Any,
        lost_region: Any,
        contexts: Any,
        versions: Any,
        chart_version: Any,
        operator: Any,
        host: Any,
        procedure: Any,
        variant: Any,
        **extra: Any,
    ) -> dict[str, Any]:
        return self.append(
            "drill_start",
            target=target,
            lost_region=lost_region,
            contexts=contexts,
            versions=versions,
            chart_version=chart_version,
            operator=operator,
            host=host,
            procedure=procedure,
            variant=variant,
            **extra,
        )

    def drill_end(self, *, verdict: str, **extra: Any) -> dict[str, Any]:
        return self.append("drill_end", verdict=verdict, **extra)

    def step_start(self, step_id: str, title: str) -> dict[str, Any]:
        return self.append("step_start", step_id=step_id, title=title)

    def step_end(self, step_id: str, status: str, *, duration_s: float, error: str | None = None) -> dict[str, Any]:
        return self.append("step_end", step_id=step_id, status=status, duration_s=duration_s, error=error)

    @contextmanager
    def step(self, step_id: str, title: str) -> Iterator[None]:
        """Bracket a step with step_start/step_end; an exception is recorded as `failed` and re-raised."""
        outer = self.current_step
        self.current_step = step_id
        try:
            self.step_start(step_id, title)
            started = self._monotonic()
            try:
                yield
            except BaseException as exc:
                elapsed = round(self._monotonic() - started, 6)
                self.step_end(step_id, "failed", duration_s=elapsed, error=_describe_exception(exc))
                raise
            self.step_end(step_id, "passed", duration_s=round(self._monotonic() - started, 6))
        finally:
            self.current_step = outer

    def check(
        self,
        *,
        step_id: str,
        phase: str,
        name: str,
        expected: Any,
        actual: Any,
        verdict: str,
        detail: str | None = None,
    ) -> dict[str, Any]:
        return self.append(
            "check",
            step_id=step_id,
            phase=phase,
            name=name,
            expected=expected,
            actual=actual,
            verdict=verdict,
            detail=detail,
        )

    def command(
        self, *, argv: Sequence[str], exit_code: int | None, stdout: str | bytes, stderr: str | bytes, duration_s: float
    ) -> dict[str, Any]:
        return self.append(
            "command", argv=argv, exit_code=exit_code, stdout=stdout, stderr=stderr, duration_s=duration_s
        )

    def http(self, exchange: Mapping[str, Any], *, max_body: int | None = None) -> dict[str, Any]:
        """One HTTP exchange (see JournalTransport for its fields); `max_body` overrides the journal's bound."""
        return self._write("http", dict(exchange), max_body or self.max_body)

    def wait(self, *, what: str, attempts: int, elapsed_s: float, outcome: str) -> dict[str, Any]:
        return self.append("wait", what=what, attempts=attempts, elapsed_s=elapsed_s, outcome=outcome)

    def note(self, message: str, **fields: Any) -> dict[str, Any]:
        return self.append("note", message=message, **fields)

    def _write(self, kind: str, fields: Mapping[str, Any], max_body: int | None) -> dict[str, Any]:
        clash = RESERVED_FIELDS & fields.keys()
        if clash:
            raise ValueError(f"journal fields {sorted(clash)} are reserved")
        body: dict[str, Any] = {"kind": kind, **fields}
        step = self.current_step
        if step is not None:
            body["step"] = step
        # Redaction and trimming are the expensive part; they run outside the lock. `kind` and `step` are
        # identifiers reports group by, so they are never trimmed; nor is the header (max_body None).
        clean = self.redactor.redact(to_json(body))
        if max_body is not None:
            clean = {k: v if k in ("kind", "step") else trim_strings(v, max_body) for k, v in clean.items()}
        with self._lock:
            if self._closed:
                raise JournalError(f"{self.path}: journal is closed")
            if self._failure is not None:
                raise JournalError(f"{self.path}: an earlier write failed ({self._failure}); the journal cannot go on")
            self._account_for_interrupted_write()
            record = {"seq": self._seq, "ts": iso_utc(self._wall()), "prev": self._prev, **clean}
            line = _encode(record)
            try:
                self._handle.write(line + b"\n")
                self._handle.flush()
            except OSError as exc:
                self._failure = exc
                raise JournalError(f"{self.path}: cannot write record {self._seq}: {exc}") from exc
            # The line is in the file: move the chain on before the fsync, so an interrupt (SIGINT) landing in
            # the fsync cannot make the next record, e.g. the stage's end, reuse this one's seq and break the chain.
            self._prev = hashlib.sha256(line).hexdigest()
            self._seq += 1
            self._end = self._handle.tell()
            if self.durable and not _is_observation(record):
                try:
                    os.fsync(self._handle.fileno())
                except OSError as exc:
                    self._failure = exc
                    raise JournalError(f"{self.path}: cannot write record {record['seq']}: {exc}") from exc
        return record

    def _account_for_interrupted_write(self) -> None:
        """An interrupt (SIGINT) is raised right after a call returns, so it can land after a record's line was
        written and before the chain moved on; the next record would then reuse its seq and prev and break the
        chain. Any whole line in the file beyond what the chain accounts for is that record: the chain takes it in."""
        self._handle.flush()
        end = self._handle.tell()
        if end == self._end:
            return
        with open(self.path, "rb") as reader:
            reader.seek(self._end)
            tail = reader.read(end - self._end)
        *lines, rest = tail.split(b"\n")
        if rest:
            raise JournalError(f"{self.path}: an interrupted write left a partial line; the journal cannot go on")
        for line in lines:
            self._prev = hashlib.sha256(line).hexdigest()
            self._seq += 1
        self._end = end


def read_journal(path: Path) -> list[dict[str, Any]]:
    """All records of a journal, after verifying its chain: reports are never made from altered evidence."""
    return _scan(Path(path), _read(Path(path)))[0]


def verify_chain(path: Path) -> ChainReport:
    """Verify format, JSON, chain and seq of every line; raises JournalError naming the first bad line."""
    return read_verified(path)[1]


def read_verified(path: Path) -> tuple[list[dict[str, Any]], ChainReport]:
    """Records and chain report from one read: what a report is made of and the head hash it cites."""
    records, last_hash = _scan(Path(path), _read(Path(path)))
    return records, ChainReport(records=len(records), last_hash=last_hash)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise JournalError(f"{path}: cannot read journal: {exc.strerror or exc}") from exc


def _not_ours(path: Path, why: str) -> JournalError:
    return NotAJournal(f"{path}: not a c8-dr-drill journal: {why}")


def _parse(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        if number == 1:
            raise _not_ours(path, f"line 1 is not JSON (starts with {raw[:_EXCERPT]!r})") from None
        raise JournalError(f"{path}: line {number} is not JSON ({exc})") from None
    if not isinstance(record, dict):
        if number == 1:
            raise _not_ours(path, f"line 1 is a JSON {type(record).__name__}, not an object")
        raise JournalError(f"{path}: line {number} is a JSON {type(record).__name__}, not an object")
    return record


def _scan(path: Path, data: bytes) -> tuple[list[dict[str, Any]], str]:
    if not data:
        raise _not_ours(path, "the file is empty")
    lines = data.split(b"\n")
    truncated = lines[-1] != b""
    if not truncated:
        lines.pop()
    records: list[dict[str, Any]] = []
    expected_prev = GENESIS
    for number, raw in enumerate(lines, start=1):
        if truncated and number == len(lines):
            if number == 1 and not raw.startswith(_FIRST_LINE_PREFIX):
                _parse(path, 1, raw)  # raises "not ours" for anything that is not a journal header
                raise _not_ours(path, "line 1 has no newline")
            raise JournalError(f"{path}: line {number} is truncated (no newline at the end: a write was cut short)")
        record = _parse(path, number, raw)
        if number == 1:
            _check_header(path, record)
        seen_prev = record.get("prev")
        if seen_prev != expected_prev:
            hint = _chain_hint(number, record, seen_prev, expected_prev)
            raise JournalError(f"{path}: broken chain at line {number}: {hint}")
        if record.get("seq") != number - 1:
            raise JournalError(f"{path}: seq gap at line {number}: seq {record.get('seq')!r}, expected {number - 1}")
        expected_prev = hashlib.sha256(raw).hexdigest()
        records.append(record)
    return records, expected_prev


def _chain_hint(number: int, record: Mapping[str, Any], seen_prev: Any, expected_prev: str) -> str:
    if number == 1:
        return f"prev {seen_prev!r}, expected the genesis value {GENESIS}"
    base = f"prev {seen_prev!r}, expected {expected_prev} (the sha256 of line {number - 1})"
    if record.get("seq") == number - 1:
        return f"{base}; line {number - 1} was altered"
    return f"{base}; records are missing or out of order (seq {record.get('seq')!r}, expected {number - 1})"


def _check_header(path: Path, record: Mapping[str, Any]) -> None:
    if record.get("kind") != "journal":
        raise _not_ours(path, f"line 1 has kind {record.get('kind')!r}, expected 'journal'")
    if record.get("format") != FORMAT:
        raise _not_ours(path, f"line 1 has format {record.get('format')!r}, expected {FORMAT!r}")


READ_METHODS = frozenset({"GET", "HEAD"})
READ_ONLY_POSTS = ("/_count", "/_search")  # Elasticsearch queries: a body, but nothing changed
OBSERVATION_KINDS = frozenset({"check", "wait", "retry"})


def _is_observation(record: Mapping[str, Any]) -> bool:
    """A record a resumed drill would make again by looking: a check, a wait, a retried attempt, a marker looked
    up, a read-only HTTP exchange. A marker written, an action, a change sent are not."""
    kind = record.get("kind")
    if kind in OBSERVATION_KINDS:
        return True
    if kind == "marker":
        return record.get("event") == "seen"
    if kind != "http":
        return False
    method = str(record.get("method", "")).upper()
    path = str(record.get("url", "")).split("?", 1)[0]
    return method in READ_METHODS or (method == "POST" and path.endswith(READ_ONLY_POSTS))
