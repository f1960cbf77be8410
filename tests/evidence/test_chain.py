"""Tamper evidence: every way a journal can be altered, torn or mistaken is reported in one line naming where."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from drill.evidence import Journal, JournalError, read_journal, verify_chain
from drill.evidence.journal import GENESIS


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """A journal of 6 lines: the header and notes 'note 1' .. 'note 5'."""
    path = tmp_path / "j.jsonl"
    with Journal.create(path, durable=False) as journal:
        for i in range(1, 6):
            journal.note(f"note {i}")
    return path


def rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def test_untouched_journal_verifies(journal_path: Path) -> None:
    report = verify_chain(journal_path)
    assert (report.records, report.ok) == (6, True)
    assert report.last_hash == hashlib.sha256(lines_of(journal_path)[-1]).hexdigest()
    assert [r["seq"] for r in read_journal(journal_path)] == [0, 1, 2, 3, 4, 5]


def test_one_changed_character_names_the_altered_line(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    lines[2] = lines[2].replace(b"note 2", b"note 7")
    rewrite(journal_path, lines)
    expected = hashlib.sha256(lines[2]).hexdigest()
    seen = read_journal_unchecked(journal_path)[3]["prev"]
    with pytest.raises(JournalError) as caught:
        verify_chain(journal_path)
    assert str(caught.value) == (
        f"{journal_path}: broken chain at line 4: prev {seen!r}, expected {expected} (the sha256 of line 3); "
        "line 3 was altered"
    )


def test_deleted_line_breaks_the_chain(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    del lines[3]
    rewrite(journal_path, lines)
    with pytest.raises(
        JournalError, match=r"broken chain at line 4: .*records are missing or out of order \(seq 4, expected 3\)$"
    ):
        verify_chain(journal_path)


def test_reordered_lines_break_the_chain(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(journal_path, lines)
    with pytest.raises(JournalError, match=r"broken chain at line 3: .*out of order \(seq 3, expected 2\)$"):
        read_journal(journal_path)


def test_seq_rewritten_with_a_valid_prev_is_a_seq_gap(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal.create(path, durable=False):
        pass
    header = lines_of(path)[0]
    forged = b'{"kind":"note","prev":"' + hashlib.sha256(header).hexdigest().encode() + b'","seq":7}'
    rewrite(path, [header, forged])
    with pytest.raises(JournalError, match=r"j\.jsonl: seq gap at line 2: seq 7, expected 1$"):
        verify_chain(path)


def test_first_record_must_start_from_genesis(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    lines[0] = lines[0].replace(GENESIS.encode(), b"1" * 64)
    rewrite(journal_path, lines)
    with pytest.raises(
        JournalError, match=f"broken chain at line 1: prev '1{{64}}', expected the genesis value {GENESIS}"
    ):
        verify_chain(journal_path)


def test_line_that_is_not_json(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    lines[4] = b"{oops"
    rewrite(journal_path, lines)
    with pytest.raises(JournalError, match=r"j\.jsonl: line 5 is not JSON \(Expecting property name"):
        verify_chain(journal_path)


def test_line_that_is_json_but_not_an_object(journal_path: Path) -> None:
    lines = lines_of(journal_path)
    lines[1] = b"[1, 2]"
    rewrite(journal_path, lines)
    with pytest.raises(JournalError, match=r"line 2 is a JSON list, not an object$"):
        verify_chain(journal_path)


def test_truncated_last_line_is_reported_as_such(journal_path: Path) -> None:
    data = journal_path.read_bytes()
    journal_path.write_bytes(data[: len(data) - 20])
    with pytest.raises(JournalError, match=r"j\.jsonl: line 6 is truncated \(no newline at the end"):
        verify_chain(journal_path)


def test_missing_final_newline_alone_is_truncation(journal_path: Path) -> None:
    journal_path.write_bytes(journal_path.read_bytes()[:-1])
    with pytest.raises(JournalError, match="line 6 is truncated"):
        verify_chain(journal_path)


def test_truncated_header_is_truncation(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal.create(path, durable=False):
        pass
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(JournalError, match="line 1 is truncated"):
        verify_chain(path)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b'{"a": 1}\n{"b": 2}\n', "line 1 has kind None, expected 'journal'"),
        (
            b'{"kind": "journal", "format": "other/2"}\n',
            "line 1 has format 'other/2', expected 'c8-dr-drill/journal/1'",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"line 1 is not JSON \(starts with b'\\x89PNG\\r'\)"),
        (b"hello world", r"line 1 is not JSON \(starts with b'hello world'\)"),
        (b'"just a string"\n', "line 1 is a JSON str, not an object"),
    ],
    ids=["empty", "other-jsonl", "other-format", "binary", "text-no-newline", "json-scalar"],
)
def test_files_that_are_not_journals(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "other.jsonl"
    path.write_bytes(content)
    with pytest.raises(JournalError, match=f"^{re.escape(str(path))}: not a c8-dr-drill journal: {why}$"):
        verify_chain(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot read journal: No such file or directory"):
        verify_chain(tmp_path / "nope.jsonl")


def test_open_for_append_then_tamper_across_sessions(journal_path: Path) -> None:
    with Journal.open_for_append(journal_path, durable=False) as journal:
        journal.note("note 6")
        journal.note("note 7")
    assert verify_chain(journal_path).records == 8
    lines = lines_of(journal_path)
    lines[5] = lines[5].replace(b"note 5", b"note X")
    rewrite(journal_path, lines)
    with pytest.raises(JournalError, match=r"broken chain at line 7: .*line 6 was altered$"):
        Journal.open_for_append(journal_path)


def read_journal_unchecked(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines_of(path)]
