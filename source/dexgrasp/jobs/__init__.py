"""What the command-line tools do once their arguments are read: a learner on a topology, checked first.

- :mod:`.train`: RSL-RL or skrl PPO on any topology.
- :mod:`.distill`: offline and online distillation on any topology.
"""


class SettingsError(ValueError):
    """Settings that cannot run (one line; the command line reports it as a usage error)."""
