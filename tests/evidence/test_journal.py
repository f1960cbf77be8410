"""The journal's format, writers and durability contract (drill.evidence.journal).

A fixed wall clock and a fake monotonic counter make every record byte-exact, so these tests pin the format
reports and auditors will rely on.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drill.evidence import Journal, JournalError, read_journal, verify_chain
from drill.evidence.journal import FORMAT, GENESIS

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def ticking_wall(step_us: int = 1) -> Callable[[], datetime]:
    """A wall clock that advances `step_us` microseconds per call, so timestamps are predictable."""
    calls = iter(range(10**9))
    return lambda: T0 + timedelta(microseconds=step_us * next(calls))


def counter(*values: float) -> Callable[[], float]:
    it: Iterator[float] = iter(values)
    return lambda: next(it)


def new_journal(path: Path, **kwargs: Any) -> Journal:
    kwargs.setdefault("wall", ticking_wall())
    kwargs.setdefault("durable", False)
    return Journal.create(path, **kwargs)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def test_header_record_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path, meta={"drill_id": "d-1"}):
        pass
    assert path.read_bytes() == (
        b'{"format":"c8-dr-drill/journal/1","kind":"journal","meta":{"drill_id":"d-1"},'
        b'"prev":"' + GENESIS.encode() + b'","seq":0,"ts":"2026-03-01T12:00:00.123456Z"}\n'
    )


def test_records_chain_by_sha256_of_previous_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        written = journal.note("first", region=1)
        journal.note("second")
    first, second, third = lines_of(path)
    assert written == {
        "seq": 1,
        "ts": "2026-03-01T12:00:00.123457Z",
        "prev": hashlib.sha256(first).hexdigest(),
        "kind": "note",
        "message": "first",
        "region": 1,
    }
    assert json.loads(second) == written
    assert json.loads(third)["prev"] == hashlib.sha256(second).hexdigest()
    assert verify_chain(path).last_hash == hashlib.sha256(third).hexdigest()
    assert journal.last_hash == hashlib.sha256(third).hexdigest()


def test_lines_are_compact_sorted_utf8(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        journal.note("Grüße", zeta=1, alpha=[1, 2])
    line = lines_of(path)[1].decode("utf-8")
    assert line.startswith('{"alpha":[1,2],"kind":"note","message":"Grüße","prev":"')
    assert line.endswith('","seq":1,"ts":"2026-03-01T12:00:00.123457Z","zeta":1}')


def test_create_refuses_a_non_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text("keep me\n")
    with pytest.raises(JournalError, match=r"j\.jsonl: refusing to overwrite a non-empty file \(8 bytes\)"):
        Journal.create(path, durable=False)
    assert path.read_text() == "keep me\n"


def test_create_reuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.touch()
    with new_journal(path):
        pass
    assert verify_chain(path).records == 1


def test_create_in_missing_directory_is_a_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot create journal: No such file or directory"):
        Journal.create(tmp_path / "missing" / "j.jsonl")


def test_reserved_fields_are_refused(tmp_path: Path) -> None:
    with new_journal(tmp_path / "j.jsonl") as journal, pytest.raises(ValueError, match=r"\['prev', 'seq'\]"):
        journal.note("x", seq=5, prev="x")


def test_append_after_close_is_refused(tmp_path: Path) -> None:
    journal = new_journal(tmp_path / "j.jsonl")
    journal.close()
    journal.close()  # idempotent
    assert journal.closed
    with pytest.raises(JournalError, match="journal is closed"):
        journal.note("late")


def test_naive_clock_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        Journal.create(tmp_path / "j.jsonl", wall=lambda: datetime(2026, 1, 1), durable=False)


def test_durable_writes_fsync_what_a_resume_cannot_redo_and_observations_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record but a check or a GET/HEAD exchange is on disk when `append` returns; those two ride along
    with the next record that is, or with the close."""
    path = tmp_path / "j.jsonl"
    synced: list[int] = []  # how many lines were on disk at each fsync
    monkeypatch.setattr(
        "drill.evidence.journal.os.fsync", lambda fd: synced.append(len(path.read_bytes().splitlines()))
    )
    get = {"method": "GET", "url": "http://gw/actuator/cluster", "status": 200}
    with Journal.create(path, wall=ticking_wall()) as journal:  # header: line 1
        journal.note("a")  # 2
        journal.check(step_id="s", phase="current", name="c", expected="x", actual="x", verdict="pass")  # 3
        journal.http(get)  # 4
        assert synced == [1, 2]
        journal.http({**get, "method": "PATCH", "status": 202})  # 5: a change, with lines 3 and 4 before it
        assert synced == [1, 2, 5]
        journal.http(get)  # 6
        journal.http({**get, "method": "POST", "url": "http://es/operate-list-view-*/_count?q=1"})  # 7: a query
        journal.append("marker", event="seen", tag="t")  # 8
        journal.append("wait", what="w", attempts=1, elapsed_s=0.0, outcome="answered")  # 9
        journal.append("marker", event="written", tag="t")  # 10: an instance created
        assert synced == [1, 2, 5, 10]
        journal.http(get)  # 11
    assert synced == [1, 2, 5, 10, 11]  # the close


def test_a_failed_write_stops_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal.create(tmp_path / "j.jsonl", wall=ticking_wall())

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("drill.evidence.journal.os.fsync", broken_fsync)
    with pytest.raises(JournalError, match=r"cannot write record 1: .*No space left on device"):
        journal.note("a")
    monkeypatch.undo()
    with pytest.raises(JournalError, match="an earlier write failed"):
        journal.note("b")
    journal.close()


def test_convenience_writers_use_fixed_field_names(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        journal.drill_start(
            target="sim",
            lost_region=1,
            contexts=["r0", "r1"],
            versions={"camunda": "8.8.0"},
            chart_version="13.0.0",
            operator="alice",
            host="ci-1",
            procedure="failover",
            variant="no-content",
            run_id="r-9",
        )
        journal.check(
            step_id="failover-1", phase="desired", name="brokers", expected=[0, 2], actual=[0, 2], verdict="passed"
        )
        journal.command(argv=("kubectl", "get", "pods"), exit_code=0, stdout=b"ok\n", stderr="", duration_s=0.25)
        journal.wait(what="topology", attempts=3, elapsed_s=1.5, outcome="reached")
        journal.drill_end(verdict="passed")
    fields = [{k: v for k, v in r.items() if k not in ("seq", "ts", "prev")} for r in read_journal(path)[1:]]
    assert fields == [
        {
            "kind": "drill_start",
            "target": "sim",
            "lost_region": 1,
            "contexts": ["r0", "r1"],
            "versions": {"camunda": "8.8.0"},
            "chart_version": "13.0.0",
            "operator": "alice",
            "host": "ci-1",
            "procedure": "failover",
            "variant": "no-content",
            "run_id": "r-9",
        },
        {
            "kind": "check",
            "step_id": "failover-1",
            "phase": "desired",
            "name": "brokers",
            "expected": [0, 2],
            "actual": [0, 2],
            "verdict": "passed",
            "detail": None,
        },
        {
            "kind": "command",
            "argv": ["kubectl", "get", "pods"],
            "exit_code": 0,
            "stdout": "ok\n",
            "stderr": "",
            "duration_s": 0.25,
        },
        {"kind": "wait", "what": "topology", "attempts": 3, "elapsed_s": 1.5, "outcome": "reached"},
        {"kind": "drill_end", "verdict": "passed"},
    ]


def test_step_records_start_end_duration_and_attributes_records(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path, monotonic=counter(10.0, 12.5)) as journal:
        with journal.step("failover-1", "Remove lost brokers"):
            journal.note("inside")
        journal.note("outside")
    records = read_journal(path)[1:]
    assert [(r["kind"], r.get("step")) for r in records] == [
        ("step_start", "failover-1"),
        ("note", "failover-1"),
        ("step_end", "failover-1"),
        ("note", None),
    ]
    assert records[0]["title"] == "Remove lost brokers"
    assert {k: records[2][k] for k in ("step_id", "status", "duration_s", "error")} == {
        "step_id": "failover-1",
        "status": "passed",
        "duration_s": 2.5,
        "error": None,
    }


def test_failed_step_records_the_error_and_reraises(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = new_journal(path, monotonic=counter(1.0, 1.75))
    with pytest.raises(RuntimeError, match="broker 3 still present"), journal.step("s1", "Check"):
        raise RuntimeError("broker 3 still present")
    assert journal.current_step is None
    journal.close()
    end = read_journal(path)[-1]
    assert (end["status"], end["duration_s"], end["error"]) == ("failed", 0.75, "RuntimeError: broker 3 still present")


def test_nested_steps_restore_the_outer_step(tmp_path: Path) -> None:
    with new_journal(tmp_path / "j.jsonl") as journal, journal.step("outer", "o"):
        with journal.step("inner", "i"):
            assert journal.current_step == "inner"
        assert journal.current_step == "outer"


def test_long_strings_are_trimmed_with_a_byte_count(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path, max_body=10) as journal:
        written = journal.command(argv=["x"], exit_code=1, stdout="é" * 8, stderr="short", duration_s=0.0)
    # 8 characters of 2 bytes; 10 bytes keep 5 characters whole, 6 bytes are cut.
    assert written["stdout"] == "ééééé...[trimmed 6 bytes]"
    assert written["stderr"] == "short"
    assert read_journal(path)[1]["stdout"] == "ééééé...[trimmed 6 bytes]"


def test_non_json_values_are_recorded_deterministically(tmp_path: Path) -> None:
    with new_journal(tmp_path / "j.jsonl") as journal:
        written = journal.note(
            "values",
            path=Path("/tmp/x"),
            blob=b"\x89PNG\x00\x01",
            when=T0,
            nan=float("nan"),
            tags={"b", "a"},
            exc=ValueError("bad"),
        )
    assert {k: written[k] for k in ("path", "blob", "when", "nan", "tags", "exc")} == {
        "path": "/tmp/x",
        "blob": "<6 bytes binary>",
        "when": "2026-03-01T12:00:00.123456Z",
        "nan": "nan",
        "tags": ["a", "b"],
        "exc": "ValueError: bad",
    }


def test_lone_surrogates_do_not_break_the_write(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        journal.note("bad \udc80 name")
    assert read_journal(path)[1]["message"] == "bad \udc80 name"


def test_open_for_append_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        journal.note("session 1")
    first_session_hash = verify_chain(path).last_hash
    with Journal.open_for_append(path, wall=ticking_wall(), durable=False) as journal:
        written = journal.note("session 2")
    assert (written["seq"], written["prev"]) == (2, first_session_hash)
    report = verify_chain(path)
    assert (report.records, report.ok) == (3, True)
    assert [r["message"] for r in read_journal(path)[1:]] == ["session 1", "session 2"]


def test_open_for_append_refuses_a_broken_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with new_journal(path) as journal:
        journal.note("a")
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(JournalError, match="line 2 is truncated"):
        Journal.open_for_append(path)


def test_open_for_append_on_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot open journal for append: No such file or directory"):
        Journal.open_for_append(tmp_path / "nope.jsonl")


def test_concurrent_appends_keep_a_valid_chain(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal.create(path, durable=False)
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        start.wait()
        for i in range(200):
            journal.note(f"t{n}-{i}", thread=n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    report = verify_chain(path)
    assert report.records == 801
    records = read_journal(path)
    assert [r["seq"] for r in records] == list(range(801))
    for n in range(4):
        assert [r["message"] for r in records if r.get("thread") == n] == [f"t{n}-{i}" for i in range(200)]
    assert read_journal(path)[0]["format"] == FORMAT


def test_an_interrupt_after_a_line_is_written_does_not_break_the_chain(tmp_path: Path, monkeypatch: Any) -> None:
    """SIGINT is raised right after a call returns: here, after the line is in the file, before the chain moved."""
    import hashlib as real_hashlib

    from drill.evidence import journal as journal_module

    path = tmp_path / "j.jsonl"
    journal = Journal.create(path, durable=False)
    journal.append("note", text="before")
    calls = {"n": 0}

    class Interrupting:
        @staticmethod
        def sha256(data: bytes) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise KeyboardInterrupt
            return real_hashlib.sha256(data)

    monkeypatch.setattr(journal_module, "hashlib", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        journal.append("http", url="interrupted")
    monkeypatch.setattr(journal_module, "hashlib", real_hashlib)
    journal.append("step_end", step_id="failover-1")
    journal.close()
    records = read_journal(path)
    assert [r["kind"] for r in records][-2:] == ["http", "step_end"]
    assert verify_chain(path).records == len(records)
