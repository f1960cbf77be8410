"""The ways a drill on kind may lose a region, by name (`drill/kind/loss.py` carries them out).

Apart from the loss itself, so that checking an option loads no Kubernetes client: every `c8-drill run` on the
simulator validates `--loss-mode`, and importing the client costs ~0.15 s of each run's start.
"""

from __future__ import annotations

LOSS_MODES = ("uninstall", "stop-nodes", "partition")
