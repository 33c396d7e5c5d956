"""The ``data_parallel`` topology: Isaac Lab's standard multi-GPU scheme, for comparison with disaggregation.

One process per device, each with its own simulator, renderer, policy copy, rollout storage and optimizer;
RSL-RL averages gradients over the processes (its own multi-GPU support). ``torchrun`` starts the processes:
``train.py --topology data_parallel --devices ...`` calls it for one node (:func:`.torchrun.relaunch`), and on
several nodes users call ``torchrun`` themselves with the same arguments. Two things differ from RSL-RL's stock
multi-GPU setup:

- the process group uses gloo when the devices are CPUs (RSL-RL is NCCL-only), so the scheme runs and is
  tested on machines without GPUs;
- the device is taken from ``--devices`` by local rank (RSL-RL insists on ``cuda:<local rank>``).

``--num_envs`` is the total over all processes, as in the disaggregated topology, split as evenly as possible.
The learner decides the curriculum over all processes together (its
:class:`~dexgrasp.runner.curriculum.LockstepCurriculum` sums each step's success counts over the ranks).
"""

from __future__ import annotations

from collections.abc import Callable

import torch.distributed as dist

from .torchrun import join


def run(
    devices: list[str],
    task: str,
    env_cfg,
    clip_actions: float | None,
    learner_fn: Callable,
    learner_kwargs: dict,
    title: str,
    log_dir: str | None = None,
    viewer=None,
):
    """This torchrun process's share: its environments on its device, ``learner_fn(vec_env, **learner_kwargs)`` on
    them; returns what the learner returns. ``title`` names the run in the first line rank 0 prints."""
    from dexgrasp.envs.factory import open_env
    from dexgrasp.envs.vec_env import GraspVecEnv

    device, rank, world, counts = join(devices, env_cfg.scene.num_envs)
    env_cfg.scene.num_envs = counts[rank]
    env_cfg.sim.device = device
    env_cfg.seed += rank
    if rank == 0:
        logging = f"; logging to {log_dir}" if log_dir else ""
        print(f"[dexgrasp] {title}, data_parallel over {world} processes: envs {counts}{logging}", flush=True)
    try:
        with open_env(task, env_cfg, device, viewer=viewer if rank == 0 else None) as env:  # one page, by rank 0
            return learner_fn(GraspVecEnv(env, clip_actions=clip_actions), **learner_kwargs)
    finally:
        dist.destroy_process_group()
