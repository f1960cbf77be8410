"""`c8-drill prove`: evidence that the drill fails when something is wrong.

Every omission, misordering and known mistake of the runbook, and every fault class of the deployment, is run as
a drill on the simulator; each must be caught at the step named for it, before any later destructive action, with
an intact journal. Mutations that are harmless in fact must pass the drill with its full final checks.
"""
