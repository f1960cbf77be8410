"""Binds every scenario; the plugin parametrizes them by lost region and orders them as the drill runs."""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("drill")

scenarios("drill.feature", "failover.feature", "failback.feature")
