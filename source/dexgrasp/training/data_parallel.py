"""The ``data_parallel`` topology: Isaac Lab's standard multi-GPU scheme, for comparison with disaggregation.

One process per device, each with its own simulator, renderer, policy copy, rollout storage and optimizer;
RSL-RL averages gradients over the processes (its own multi-GPU support). ``torchrun`` starts the processes:
``train.py --topology data_parallel --devices ...`` calls it for one node, and on several nodes users call
``torchrun`` themselves with the same arguments. Two things differ from RSL-RL's stock multi-GPU setup:

- the process group uses gloo when the devices are CPUs (RSL-RL is NCCL-only), so the scheme runs and is
  tested on machines without GPUs;
- the device is taken from ``--devices`` by local rank (RSL-RL insists on ``cuda:<local rank>``).

``--num_envs`` is the total over all processes, as in the disaggregated topology, split as evenly as possible.
The curriculum is decided over all processes together (:class:`~dexgrasp.runner.curriculum.LockstepCurriculum`
sums each step's success counts over the ranks).
"""

from __future__ import annotations

import os
import subprocess
import sys

import torch
import torch.distributed as dist

from dexgrasp.runner.curriculum import LockstepCurriculum
from dexgrasp.runner.launcher import free_port
from dexgrasp.runner.layout import check_device, split_evenly

from .rsl_rl_runner import GraspDataParallelRunner
from .sim_env import GraspVecEnv


def parse_devices(devices: str | None) -> list[str]:
    """The ``--devices`` list, each checked to exist (ValueError with one line otherwise)."""
    names = [d.strip() for d in (devices or "").split(",") if d.strip()]
    if not names:
        raise ValueError("--devices is empty: name one device per data-parallel process")
    kinds = {d.split(":")[0] for d in names}
    if len(kinds) > 1:
        raise ValueError("--devices mixes cpu and cuda: data-parallel processes all-reduce on one backend")
    cuda = [d for d in names if d != "cpu"]
    if len(set(cuda)) < len(cuda):
        raise ValueError("--devices names a GPU twice: each data-parallel process needs its own")
    return [check_device(d) for d in names]


def in_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "LOCAL_RANK" in os.environ


def launch(argv: list[str], num_processes: int, script: str = "train.py") -> int:
    """Run ``scripts/<script>`` with ``argv`` under torchrun, one process per device on this node."""
    cmd = [
        sys.executable, "-m", "torch.distributed.run",
        "--nnodes", "1", "--nproc_per_node", str(num_processes), "--master_port", str(free_port()),
        os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", script), *argv,
    ]  # fmt: skip
    print(f"[dexgrasp] data_parallel: {num_processes} processes via torchrun", flush=True)
    return subprocess.call(cmd)


class LockstepGraspVecEnv(GraspVecEnv):
    """The grasp VecEnv of one data-parallel process; the curriculum is decided over all processes."""

    def __init__(self, env, clip_actions, curriculum: LockstepCurriculum):
        super().__init__(env, clip_actions=clip_actions)
        self.curriculum = curriculum

    def step(self, actions):
        result = super().step(actions)
        self.curriculum.add(*self.drain_episode_outcomes())  # summed over the processes inside
        self.set_curriculum_step(self.curriculum.step)
        return result


def join(devices: list[str], total_envs: int) -> tuple[str, int, int, list[int]]:
    """Join the data-parallel group under torchrun: (this process's device, rank, world size, env counts)."""
    local_rank, rank, world = int(os.environ["LOCAL_RANK"]), int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if local_rank >= len(devices):
        raise ValueError(f"local rank {local_rank} has no device: --devices lists {len(devices)}")
    device = devices[local_rank]
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", init_method="env://")
    return device, rank, world, split_evenly(total_envs, world)


def train(args, env_cfg, agent_cfg, log_dir: str) -> None:
    """One data-parallel process (under torchrun): its share of the environments on its device."""
    from isaaclab.utils.io import dump_yaml

    from dexgrasp.tasks.grasp.mdp import get_curriculum_state

    from .checkpoint import read_metadata
    from .env_factory import make_env, simulation

    device, rank, world, counts = join(parse_devices(args.devices), env_cfg.scene.num_envs)
    env_cfg.scene.num_envs = counts[rank]
    env_cfg.sim.device = agent_cfg.device = device
    if agent_cfg.algorithm.num_mini_batches > min(counts):  # recurrent mini-batches split each process's envs
        agent_cfg.algorithm.num_mini_batches = min(counts)
        if rank == 0:
            print(f"[dexgrasp] a process has {min(counts)} environments: using that many mini-batches")
    agent_cfg.seed += rank
    env_cfg.seed = agent_cfg.seed
    if args.max_iterations is not None:
        agent_cfg.max_iterations = args.max_iterations
    if rank == 0:
        print(f"[dexgrasp] task {args.task}, data_parallel over {world} processes: envs {counts}; logging to {log_dir}")
        dump_yaml(os.path.join(log_dir, "params", "agent.yaml"), agent_cfg)
    adr = env_cfg.curriculum.adr.params
    curriculum = LockstepCurriculum.from_params(adr)
    with simulation(env_cfg, device, viewer=args.viewer if rank == 0 else None):  # one page, served by rank 0
        env = make_env(args.task, env_cfg)
        try:
            vec_env = LockstepGraspVecEnv(env, agent_cfg.clip_actions, curriculum)
            agent = agent_cfg.to_dict()

            def metadata() -> dict:
                return {
                    "task": args.task,
                    "library": "rsl_rl",
                    "obs_groups": dict(agent["obs_groups"]),
                    "curriculum": get_curriculum_state(env.unwrapped),
                    "agent_cfg": agent,
                }

            runner = GraspDataParallelRunner(vec_env, agent, log_dir if rank == 0 else None, device, metadata=metadata)
            if args.resume:
                runner.load(args.resume, map_location=device)
                curriculum.load(read_metadata(args.resume).get("curriculum", {}))
                vec_env.set_curriculum_step(curriculum.step)
            runner.learn(num_learning_iterations=agent_cfg.max_iterations, init_at_random_ep_len=True)
        finally:
            env.close()
            dist.destroy_process_group()
