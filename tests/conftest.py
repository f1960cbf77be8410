"""Suite-wide plugins."""

from __future__ import annotations

pytest_plugins = ["support.sim_fixtures"]
