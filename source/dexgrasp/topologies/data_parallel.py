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


def run(spec, learner_fn: Callable, learner_kwargs: dict):
    """This torchrun process's share: its environments on its device, ``learner_fn(vec_env, **learner_kwargs)`` on
    them; returns what the learner returns. The first process prints the run's first line, ``spec.title`` and the
    environment counts (and ``spec.log_dir`` if given)."""
    from dexgrasp.envs.factory import open_env
    from dexgrasp.envs.vec_env import GraspVecEnv

    env_cfg = spec.env_cfg
    device, rank, world, counts = join(spec.devices, env_cfg.scene.num_envs)
    env_cfg.scene.num_envs = counts[rank]
    env_cfg.sim.device = device
    env_cfg.seed += rank
    if rank == 0:
        logging = f"; logging to {spec.log_dir}" if spec.log_dir else ""
        print(f"[dexgrasp] {spec.title}, data_parallel over {world} processes: envs {counts}{logging}", flush=True)
    try:
        with open_env(spec.task, env_cfg, device, viewer=spec.viewer if rank == 0 else None) as env:  # one page
            return learner_fn(GraspVecEnv(env, clip_actions=spec.clip_actions), **learner_kwargs)
    finally:
        dist.destroy_process_group()


def headline(spec, log_dir: str) -> None:
    """None: the first process prints the line once the processes have joined (:func:`run`)."""
    return None
