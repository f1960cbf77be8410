"""The simulator's pure state machine: no sockets, an injectable clock, every refusal with its real status."""

from __future__ import annotations
