"""A modular image policy's reading of the object's position as a recorded label: the teacher's perception, for
another student's position head to learn (``scripts/record.py --head_labels``).

A modular policy (:class:`~dexgrasp.learners.distillation.policy.ModularPolicy`) acts with the scripted expert's
controller on the object position that its head reads from its images; the head is the one part of it a student
with other cameras has to learn. Distilling that teacher into a student's head means regressing the teacher head's
reading of each frame instead of the simulator's position (``object_pos``, what a state teacher acts on). The
reading, not the estimate the teacher acts on: that one is held and averaged over past frames (it lags behind a cube
still falling at the start of an episode), and the student's own modular policy holds and averages its readings the
same way, so a student that reads each frame as the teacher does also acts as it does. Recorded
side by side in one dataset, the two labels give two students of one recipe on the same frames that differ only in
their teacher: the paper's depth-teacher and state-teacher students in the modular form.

The reading is computed in the simulation process, as the scripted expert's labels are, so it travels with the
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
    """Observation term: the object position (environment frame) that the head of ``checkpoint`` reads from the
    head's own observation groups of this scene. It advances once per environment step however often the
    observations are computed (a recurrent student's memory), and starts over with each episode."""

    def __init__(self, cfg, env):
        super().__init__(cfg, env)
        self._groups = student_groups(cfg.params["checkpoint"])
        self._policy: ModularPolicy | None = None
        self._step: int | None = None
        self._reading = torch.zeros(env.num_envs, 3, device=env.device)

    def reset(self, env_ids=None) -> None:
        if self._policy is None:
            return
        dones = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        dones[slice(None) if env_ids is None else env_ids] = True
        self._policy.reset(dones)

    def __call__(self, env, checkpoint: str) -> torch.Tensor:
        manager = getattr(env, "observation_manager", None)
        if manager is None:  # the manager is being built and probes this term's shape: nothing to read yet
            return self._reading
        if self._step == env.common_step_counter:
            return self._reading
        obs = TensorDict({g: manager.compute_group(g) for g in self._groups}, batch_size=[env.num_envs])
        if self._policy is None:
            self._policy = ModularPolicy(env, checkpoint, obs, env.action_manager.total_action_dim, env.device)
        self._reading = self._policy.reading(obs)
        self._step = env.common_step_counter
        return self._reading


def add_head_labels(env_cfg, checkpoint: str) -> None:
    """Add the group :data:`HEAD_LABEL_GROUP` to a scene: the reading of the head of ``checkpoint``. A depth head
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
        reading = ObsTerm(func=head_object_position, params={"checkpoint": checkpoint})

    setattr(env_cfg.observations, HEAD_LABEL_GROUP, HeadLabelCfg())
