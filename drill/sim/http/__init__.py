"""Thin HTTP adapters over the simulator's model: one Starlette app per service and region, plus a control app."""

from __future__ import annotations
