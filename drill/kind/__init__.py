"""The kind target: two interconnected kind clusters running Camunda 8.8 dual-region, made and lost for real.

Nothing here can run on a machine without a container registry, so every command is a value first: planned,
printed by `--dry-run`, tested as argv, and only then executed.
"""
