"""Per-episode grasp metrics: what tells whether a policy grasps, logged in every topology.

For each finished episode: success (the object ends within the success radius of the goal), whether the object
was ever lifted ``lift_height`` above the lowest point it reached in the episode (objects are dropped at reset,
so height above the table at rest is what counts), the closest approach of the hand (the largest of the palm and
fingertip distances to the object, the quantity the reach reward shapes) and the time spent in the success
region. They are written to ``extras["log"]`` under ``Metrics/`` on the step the episodes finish, as one value per
finished episode: RSL-RL concatenates the values of an iteration's steps before averaging, so the logged rate is a
share of episodes. (A mean per step would weigh a step with one early failure like a step where a hundred episodes
time out.) This package's multi-process runners keep that weighting; skrl, which logs only single values, gets the
step's mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

METRICS = ("success", "lifted", "closest_distance", "time_in_success_s")
LOG_KEYS = tuple(f"Metrics/{m}" for m in METRICS)
ASSISTED_LOG_KEYS = tuple(f"Metrics_assisted/{m}" for m in METRICS)
"""Episodes that started with the object in the hand (``assisted_start_share``), logged apart."""


def object_distance_to(env: ManagerBasedRLEnv, goal: torch.Tensor) -> torch.Tensor:
    """Distance of each environment's object to ``goal`` (``(3,)`` or one per environment, in its frame)."""
    return torch.linalg.norm(env.scene["object"].data.root_pos_w.torch - (goal + env.scene.env_origins), dim=-1)


class EpisodeMetrics:
    """Tracks the metrics of every environment's running episode and reports those that finish."""

    def __init__(self, env: ManagerBasedRLEnv, hand_body_ids: list[int], success_radius: float, lift_height: float):
        n, device = env.num_envs, env.device
        self._hand_ids = hand_body_ids
        self.success_radius = success_radius
        self.lift_height = lift_height
        self.success = torch.zeros(n, dtype=torch.bool, device=device)
        """Whether each environment's last finished episode ended with the object at the goal."""
        self.last_lifted = torch.zeros(n, dtype=torch.bool, device=device)
        self.last_closest = torch.zeros(n, device=device)
        self.last_assisted = torch.zeros(n, dtype=torch.bool, device=device)
        """The lifted flag, closest approach and assisted start of each environment's last finished episode."""
        self.last_held = torch.zeros(n, dtype=torch.bool, device=device)
        """Whether each environment's last finished episode ended with its object still ``lift_height`` above the
        lowest point it reached: lifted and held to the end, not lifted and dropped."""
        self.lifted = torch.zeros(n, dtype=torch.bool, device=device)
        self.closest = torch.full((n,), float("inf"), device=device)
        self.time_in_success = torch.zeros(n, device=device)
        self._lowest = torch.full((n,), float("inf"), device=device)
        self.assisted = torch.zeros(n, dtype=torch.bool, device=device)
        """Whether each environment's running episode had an assisted start."""
        self._goal = torch.tensor(env.cfg.goal_pos, device=device, dtype=torch.float32)

    def goal_distance(self, env: ManagerBasedRLEnv) -> torch.Tensor:
        """Each environment's object to the task's goal (``cfg.goal_pos``), which success is judged by."""
        return object_distance_to(env, self._goal)

    def observe(self, env: ManagerBasedRLEnv, env_ids: torch.Tensor | None = None) -> None:
        """Fold the current state into the running episodes of ``env_ids`` (all when None)."""
        ids = slice(None) if env_ids is None else env_ids
        obj = env.scene["object"].data.root_pos_w.torch[ids]
        hand = env.scene["robot"].data.body_pos_w.torch[ids][:, self._hand_ids]
        reach = torch.linalg.norm(hand - obj[:, None, :], dim=-1).amax(dim=-1)
        self.closest[ids] = torch.minimum(self.closest[ids], reach)
        self._lowest[ids] = torch.minimum(self._lowest[ids], obj[:, 2])
        self.lifted[ids] |= obj[:, 2] - self._lowest[ids] >= self.lift_height
        inside = self.goal_distance(env)[ids] < self.success_radius
        self.time_in_success[ids] += inside.float() * env.step_dt

    def finish(self, env: ManagerBasedRLEnv, env_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """Close the episodes of ``env_ids`` (at their terminal state); returns their metrics, one value per episode."""
        self.observe(env, env_ids)
        finished = env_ids[env.episode_length_buf[env_ids] > 0]  # the first reset after start-up ends nothing
        self.success[finished] = self.goal_distance(env)[finished] < self.success_radius
        self.last_lifted[finished] = self.lifted[finished]
        self.last_closest[finished] = self.closest[finished]
        self.last_assisted[finished] = self.assisted[finished]
        height = env.scene["object"].data.root_pos_w.torch[finished, 2]
        self.last_held[finished] = height - self._lowest[finished] >= self.lift_height
        log = {}
        for keys, ids in (
            (LOG_KEYS, finished[~self.assisted[finished]]),
            (ASSISTED_LOG_KEYS, finished[self.assisted[finished]]),
        ):
            if len(ids) == 0:
                continue
            values = (self.success[ids].float(), self.lifted[ids].float(), self.closest[ids], self.time_in_success[ids])
            log.update(zip(keys, values))
        return log

    def restart(self, env_ids: torch.Tensor) -> None:
        """Start new episodes in ``env_ids``."""
        self.lifted[env_ids] = False
        self.closest[env_ids] = float("inf")
        self.time_in_success[env_ids] = 0.0
        self._lowest[env_ids] = float("inf")
        self.assisted[env_ids] = False
