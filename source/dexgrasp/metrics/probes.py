"""Measurements that each need a fresh process: one simulation or one learner at one env count.

Run as ``python -m dexgrasp.metrics.probes sim|learner '<json args>'``; the last stdout line is ``REPORT <json>``.
A fresh process per measurement keeps the resident-set (RSS) deltas of one env count free of the previous one's.

- ``sim``: builds the task's real environment (the simulation side of every topology), sums its observation and
  camera buffers, steps it with zero actions (throughput of the simulation alone) and reports its observation spec.
- ``learner``: builds RSL-RL's learner for an observation spec, fed by synthetic observations of the spec's shapes
  and dtypes or by steps replayed from a recorded dataset (:mod:`.learner_inputs`), runs learning iterations and
  times one update. It needs PyTorch and RSL-RL only, no simulator. The spec's agent configuration picks the
  learner: PPO (``OnPolicyRunner``: policy, optimizer, ``RolloutStorage``) or, for a distillation configuration,
  DAgger (``DistillationRunner``: student, frozen teacher, optimizer, labelled storage).

On CUDA each also reports device figures: the learner ``torch.cuda.max_memory_allocated`` (activations included),
the simulation the device's used memory from ``torch.cuda.mem_get_info`` (Warp allocates outside PyTorch).
"""

from __future__ import annotations

import json
import sys
import time

import psutil
import torch
from tensordict import TensorDict


def rss() -> int:
    return psutil.Process().memory_info().rss


def tensor_bytes(value) -> int:
    """Bytes of every tensor in a tensor, TensorDict, or (nested) list/tuple/dict of them; Isaac Lab's warp-backed
    ``ProxyArray`` (camera outputs) counts through its ``.torch`` view."""
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.numel()
    if isinstance(getattr(type(value), "torch", None), property):
        return tensor_bytes(value.torch)
    if isinstance(value, TensorDict):
        return sum(tensor_bytes(v) for v in value.values(include_nested=True, leaves_only=True))
    if isinstance(value, dict):
        return sum(tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(tensor_bytes(v) for v in value)
    return 0


def _cuda_total(device: str) -> int | None:
    return torch.cuda.mem_get_info(torch.device(device))[1] if device.startswith("cuda") else None


def _cuda_used(device: str) -> int | None:
    if not device.startswith("cuda"):
        return None
    torch.cuda.synchronize()
    free, total = torch.cuda.mem_get_info(torch.device(device))
    return total - free


def sim_probe(task: str, overrides: list[str], num_envs: int, device: str, steps: int) -> dict:
    """Memory, buffers and zero-action throughput of one real environment of ``num_envs``."""
    from dexgrasp.envs.factory import load_cfgs, make_env, simulation
    from dexgrasp.envs.vec_env import GraspVecEnv
    from dexgrasp.runner.spec import describe_env

    rss0, cuda0 = rss(), _cuda_used(device)
    env_cfg, agent_cfg = load_cfgs(task, "rsl_rl", overrides, num_envs=num_envs, device=device)
    with simulation(env_cfg, device):
        env = GraspVecEnv(make_env(task, env_cfg), clip_actions=agent_cfg.clip_actions)
        rss_built = rss()
        actions = torch.zeros(env.num_envs, env.num_actions, device=env.device)
        env.step(actions)  # first step allocates lazily created buffers
        start = time.perf_counter()
        for _ in range(steps):
            env.step(actions)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        spec = describe_env(env, 0)
        cameras = {
            name: tensor_bytes(dict(s.data.output))
            for name, s in env.unwrapped.scene.sensors.items()
            if hasattr(s.data, "output")
        }
        report = {
            "num_envs": num_envs,
            "device": device,
            "rss_bytes": rss() - rss0,
            "rss_built_bytes": rss_built - rss0,
            "obs_bytes": tensor_bytes(env.get_observations()),
            "camera_bytes": sum(cameras.values()),
            "cuda_used_bytes": None if cuda0 is None else _cuda_used(device) - cuda0,
            "cuda_total_bytes": _cuda_total(device),
            "steps": steps,
            "seconds": elapsed,
            "env_steps_per_s": steps * num_envs / elapsed,
            "spec": {
                "num_actions": spec.num_actions,
                "max_episode_length": spec.max_episode_length,
                "num_log_keys": len(spec.log_keys),
                "groups": [
                    {
                        "key": g.key,
                        "shape": list(g.shape),
                        "env_dtype": str(g.env_dtype),
                        "wire_dtype": str(g.wire_dtype),
                    }
                    for g in spec.groups
                ],
                "agent_cfg": agent_cfg.to_dict(),
            },
        }
        env.close()
    return report


def learner_probe(
    spec: dict,
    num_envs: int,
    device: str,
    iterations: int,
    dataset: str | None = None,
    dataset_steps: int = 1024,
    fit_memory: bool = False,
) -> dict:
    """Memory of RSL-RL's learner for ``num_envs`` environments, and its update time.

    Observations are synthetic, or replayed from ``dataset`` (at most ``dataset_steps`` recorded steps loaded).
    ``fit_memory``: as a training run does, set the mini-batch count from the learner's memory estimate first
    (:func:`dexgrasp.learners.learner_memory.fit_learner_memory`), and report the estimate's device peak beside the
    measured one; where no mini-batch count fits, the report is the run's one-line refusal (``refused``).
    A distillation learner's teacher keeps its random initial weights: its memory does not depend on them, and
    a spec carries no checkpoint.
    """
    from rsl_rl.runners import DistillationRunner, OnPolicyRunner

    import dexgrasp.models  # noqa: F401  (the task's policy classes)

    from .learner_inputs import RecordedVecEnv, SyntheticVecEnv

    agent = {**spec["agent_cfg"], "device": device, "logger": "tensorboard"}
    distillation = is_distillation(agent)
    if "num_mini_batches" in agent["algorithm"]:
        agent["algorithm"] = dict(
            agent["algorithm"], num_mini_batches=min(agent["algorithm"]["num_mini_batches"], num_envs)
        )
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(torch.device(device))
    rss0 = rss()
    if dataset:
        env = RecordedVecEnv(spec, num_envs, device, dataset, dataset_steps)
    else:
        env = SyntheticVecEnv(spec, num_envs, device)
    runner = (DistillationRunner if distillation else OnPolicyRunner)(env, agent, log_dir=None, device=device)
    alg = runner.alg
    if distillation:
        alg.teacher_loaded = True
    predicted = None
    if fit_memory and not distillation:
        from dexgrasp.learners.learner_memory import LearnerTooLarge, device_available, fit_learner_memory

        try:
            memory = fit_learner_memory(alg, device, device_available(device))
        except LearnerTooLarge as exc:  # what a training run would refuse with, as the report
            return {"num_envs": num_envs, "device": device, "refused": str(exc)}
        if memory is not None:  # the estimate, plus what is allocated outside it (the environment's buffers)
            outside = torch.cuda.memory_allocated(torch.device(device)) - memory.in_place
            predicted = outside + memory.peak(alg.num_mini_batches)
    storage = alg.storage
    storage_bytes = sum(tensor_bytes(v) for v in vars(storage).values())
    params = {id(p): p for m in vars(alg).values() if isinstance(m, torch.nn.Module) for p in m.parameters()}
    model_bytes = sum(p.numel() * p.element_size() for p in params.values())
    update_times = []
    update = alg.update

    def timed_update():
        start = time.perf_counter()
        result = update()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        update_times.append(time.perf_counter() - start)
        return result

    alg.update = timed_update
    runner.learn(num_learning_iterations=iterations)
    optimizer_bytes = sum(tensor_bytes(s) for s in alg.optimizer.state.values())
    return {
        "num_envs": num_envs,
        "device": device,
        "steps_per_env": storage.num_transitions_per_env,
        "storage_bytes": storage_bytes,
        "model_bytes": model_bytes,
        "optimizer_bytes": optimizer_bytes,
        "rss_bytes": rss() - rss0,
        "cuda_max_allocated_bytes": torch.cuda.max_memory_allocated(torch.device(device))
        if device.startswith("cuda")
        else None,
        "cuda_total_bytes": _cuda_total(device),
        "update_s": min(update_times) if update_times else None,
        "num_mini_batches": getattr(alg, "num_mini_batches", None),
        "predicted_peak_bytes": predicted,
        "observations": "dataset" if dataset else "synthetic",
        "learner": "distillation" if distillation else "ppo",
    }


def is_distillation(agent_cfg: dict) -> bool:
    """Whether an agent configuration is RSL-RL distillation (DAgger) rather than PPO."""
    return agent_cfg.get("class_name", "OnPolicyRunner").split(":")[-1].endswith("DistillationRunner")


def main(argv: list[str]) -> None:
    kind, args = argv[0], json.loads(argv[1])
    report = sim_probe(**args) if kind == "sim" else learner_probe(**args)
    print("REPORT " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
