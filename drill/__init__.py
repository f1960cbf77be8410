"""c8-dr-drill: executable disaster-recovery drills for Camunda 8 dual-region deployments."""

from __future__ import annotations

__version__ = "0.1.0"
