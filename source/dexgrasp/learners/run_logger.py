"""RSL-RL's logger with the algorithms' schedule coefficients kept apart from their losses."""

from __future__ import annotations

from rsl_rl.utils.logger import Logger

COEFFICIENTS = ("guide_coef", "dagger_beta")
"""Keys an update returns beside its losses that are weights on a schedule (guided PPO's cloning weight,
DAgger's share of teacher actions), not losses."""

COEFFICIENT_PREFIX = "Coefficients/"


class CoefficientLogger(Logger):
    """Logs :data:`COEFFICIENTS` as ``Coefficients/<key>`` instead of RSL-RL's ``Loss/<key>``.

    RSL-RL writes everything an update returns as a loss and prints it as "Mean <key> loss"; a weight that decays
    on a schedule read as a loss misleads. The coefficients go through the episode extras, which RSL-RL writes under
    their own name when it holds a ``/`` and prints beside the episode metrics.
    """

    def log(self, *, loss_dict: dict, **kwargs) -> None:
        coefficients = {COEFFICIENT_PREFIX + k: v for k, v in loss_dict.items() if k in COEFFICIENTS}
        if coefficients:
            self.ep_extras.append(coefficients)
        super().log(loss_dict={k: v for k, v in loss_dict.items() if k not in COEFFICIENTS}, **kwargs)
