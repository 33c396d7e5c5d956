"""A modular image policy's object-position estimate as a recorded label: the teacher's perception, for another
student's position head to learn (``scripts/record.py --head_labels``).

A modular policy (:class:`~dexgrasp.learners.distillation.policy.ModularPolicy`) acts with the scripted expert's
controller on the object position that its head reads from its images; the head is the one part of it a student
with other cameras has to learn. Distilling that teacher into a student's head means regressing the estimate the
teacher acts on (its held estimate) instead of the simulator's position (``object_pos``, what a state teacher
acts on). Recorded side by side in one dataset, the two labels give two students of one recipe on the same frames
that differ only in their teacher: the paper's depth-teacher and state-teacher students in the modular form.

The estimate is computed in the simulation process, as the scripted expert's labels are, so it travels with the
observations in every topology and lands in the dataset as the group :data:`HEAD_LABEL_GROUP`.
"""

from __future__ import annotations

import torch
from isaaclab.managers import ManagerTermBase
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.utils import configclass
from tensordict import TensorDict

from .policy import HEAD_LABEL_GROUP, ModularPolicy, student_groups


class head_object_position(ManagerTermBase):  # noqa: N801 - Isaac Lab names observation terms like functions
    """Observation term: the object position (environment frame) that the modular policy on the head of
    ``checkpoint`` acts on, from the head's own observation groups of this scene. It advances once per environment
    step however often the observations are computed, and starts over with each episode."""

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self._policy: ModularPolicy | None = None
        self._step: int | None = None
        self._estimate = torch.zeros(env.num_envs, 3, device=env.device)

    def reset(self, env_ids=None) -> None:
        if self._policy is None:
            return
        dones = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        dones[slice(None) if env_ids is None else env_ids] = True
        self._policy.reset(dones)

    def __call__(self, env, checkpoint: str) -> torch.Tensor:
        manager = getattr(env, "observation_manager", None)
        if manager is None:  # the manager is being built and probes this term's shape: nothing to read yet
            return self._estimate
        if self._step == env.common_step_counter:
            return self._estimate
        groups = student_groups(checkpoint)
        obs = TensorDict({g: manager.compute_group(g) for g in groups}, batch_size=[env.num_envs])
        if self._policy is None:
            self._policy = ModularPolicy(env, checkpoint, obs, env.action_manager.total_action_dim, env.device)
        self._estimate = self._policy.estimate(obs)
        self._step = env.common_step_counter
        return self._estimate


def add_head_labels(env_cfg, checkpoint: str) -> None:
    """Add the group :data:`HEAD_LABEL_GROUP` to a scene: the estimate of the head of ``checkpoint``. A depth head
    in a scene without the depth camera brings the camera (and the ``depth`` group) along; any other group the
    head reads must already be in the scene (``ValueError``)."""
    from dexgrasp.tasks.grasp.config.kuka_allegro.distill_env_cfg import add_depth_camera

    for group in student_groups(checkpoint):
        if getattr(env_cfg.observations, group, None) is not None:
            continue
        if group != "depth":
            raise ValueError(f"the head of {checkpoint} reads '{group}', which this scene does not observe")
        add_depth_camera(env_cfg)

    @configclass
    class HeadLabelCfg(ObsGroup):
        estimate = ObsTerm(func=head_object_position, params={"checkpoint": checkpoint})

    setattr(env_cfg.observations, HEAD_LABEL_GROUP, HeadLabelCfg())
