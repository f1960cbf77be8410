"""The drill plugin and the step library for the feature files."""

from __future__ import annotations

pytest_plugins = ["fixtures.plugin", "steps.procedure", "steps.markers"]
