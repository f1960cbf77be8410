"""What every readiness concern is: a Step that only observes.

A concern has no actions, so it changes nothing (`changes_system` is False and the drill guard never applies) and
it is run, journaled and reported exactly as a drill's stages are. It has no current state to refuse on either:
every check is in its desired state, so a concern that fails still lets the next one be looked at, and the report
lists every cause at once.
"""

from __future__ import annotations

from drill.procedure.actions import Action
from drill.procedure.checks import Check
from drill.procedure.context import DrillContext
from drill.procedure.params import DrillParams
from drill.procedure.step import Step


class Concern(Step):
    phase = "readiness"
    current_state = ()

    def actions(self, params: DrillParams) -> list[Action]:
        return []

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return []
