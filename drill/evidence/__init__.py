"""Evidence of a drill: the hash-chained, redacted journal every report is made from, and the HTTP recorder."""

from __future__ import annotations

from drill.evidence.http import JournalTransport
from drill.evidence.journal import ChainReport, Journal, JournalError, NotAJournal, read_journal, verify_chain
from drill.evidence.redaction import Redactor

__all__ = [
    "ChainReport",
    "Journal",
    "JournalError",
    "JournalTransport",
    "NotAJournal",
    "Redactor",
    "read_journal",
    "verify_chain",
]
