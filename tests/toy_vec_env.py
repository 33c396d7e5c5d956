"""Test fixture: a tiny deterministic RSL-RL VecEnv and learner functions for the disaggregated runner tests.

``ToyVecEnv`` has an RGB image group (uint8), a depth-like float image group and a proprioception group. Every
environment's trajectory depends only on its global index (``env_offset`` + local index), its episode count and
the actions, and all arithmetic is elementwise, so 16 environments in one process and 2 x 8 environments in two
processes evolve identically.

Run as a script it drives a small run for the tests that need a separate launcher process (SIGINT, torchrun).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

IMAGE = 8
NUM_ACTIONS = 4


def _initial_state(global_ids: torch.Tensor, episode: torch.Tensor) -> torch.Tensor:
    phase = global_ids.float()[:, None] * 0.37 + episode.float()[:, None] * 1.3 + torch.arange(6) * 0.71
    return 0.8 * torch.sin(phase)


class ToyVecEnv(VecEnv):
    """Deterministic pure-torch VecEnv (CPU) with rgb (uint8), depth (float32) and proprio (float32) groups."""

    def __init__(
        self,
        num_envs: int,
        device: str = "cpu",
        env_offset: int = 0,
        max_episode_length: int = 12,
        nan_at_step: int | None = None,
        nan_env: int = 0,
        nan_value: float = float("nan"),
        depth_spike_at_step: int | None = None,
        die_at_step: int | None = None,
        hang_at_step: int | None = None,
        hang_in_close: bool = False,
        resettable: bool = True,
        step_delay_s: float = 0.0,
        first_step_delay_s: float = 0.0,
        die_in_close: bool = False,
    ) -> None:
        self.num_envs = num_envs
        self.num_actions = NUM_ACTIONS
        self.max_episode_length = max_episode_length
        self.device = device
        self.cfg = {"name": "toy", "env_offset": env_offset}
        self.log_keys = ["Episode_Reward/alive", "Metrics/state_norm", "Metrics/final_norm"]
        self.global_ids = torch.arange(env_offset, env_offset + num_envs)
        self.episode = torch.zeros(num_envs, dtype=torch.long)
        self.state = _initial_state(self.global_ids, self.episode)
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long)
        self.steps = 0
        self.curriculum_step = 0
        self.outcomes = [0, 0]
        self.step_delay_s = step_delay_s
        self.first_step_delay_s = first_step_delay_s
        self.faults = {"nan_at_step": nan_at_step, "nan_env": nan_env, "nan_value": nan_value, "die": die_at_step,
                       "hang": hang_at_step, "depth_spike": depth_spike_at_step}  # fmt: skip
        self.hang_in_close = hang_in_close
        self.die_in_close = die_in_close
        if not resettable:
            self.reset_envs = None
        self.obs_buf = self._compute_observations()

    def get_observations(self) -> TensorDict:
        """The observations of the last step or reset (like Isaac Lab's ``obs_buf``)."""
        return self.obs_buf

    def _compute_observations(self) -> TensorDict:
        s = self.state
        grid = (torch.arange(IMAGE)[:, None] + torch.arange(IMAGE)[None, :]).float() * 0.1
        rgb = (128 + 100 * torch.tanh(s[:, :3, None, None] + grid)).to(torch.uint8)
        depth = 1.0 + 0.5 * torch.sigmoid(s[:, 3:4, None, None] - grid)
        progress = self.episode_length_buf[:, None].float() / self.max_episode_length
        proprio = torch.cat([s, progress], dim=1)
        return TensorDict({"rgb": rgb, "depth": depth, "proprio": proprio}, batch_size=[self.num_envs])

    def step(self, actions: torch.Tensor):
        self.steps += 1
        if self.faults["die"] == self.steps:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.faults["hang"] == self.steps:
            time.sleep(3600)
        time.sleep(self.step_delay_s + (self.first_step_delay_s if self.steps == 1 else 0.0))
        a = actions.clamp(-1.0, 1.0)
        s = self.state
        new = s.clone()
        new[:, :4] = 0.9 * s[:, :4] + 0.3 * torch.tanh(a)
        new[:, 4:] = 0.95 * s[:, 4:] + 0.05 * s[:, :2]
        self.state = new
        self.episode_length_buf += 1
        rewards = 1.0 - (new[:, 0] * new[:, 0] + new[:, 1] * new[:, 1] + new[:, 2] * new[:, 2])
        time_outs = self.episode_length_buf >= self.max_episode_length
        dones = (new[:, 0].abs() > 1.2) | time_outs
        log = {"Metrics/state_norm": new.abs().mean()}
        if dones.any():
            log["Episode_Reward/alive"] = float(dones.sum())
            log["Metrics/final_norm"] = new[dones].abs().mean(dim=1)  # one value per finished episode
            self.outcomes[0] += int(time_outs.sum())  # an episode that lasted is a success
            self.outcomes[1] += int(dones.sum())
            self._reset(dones.nonzero().squeeze(-1))
        if self.faults["nan_at_step"] == self.steps:
            self.state[self.faults["nan_env"]] = self.faults["nan_value"]
        self.obs_buf = self._compute_observations()
        if self.faults["depth_spike"] == self.steps:  # finite, but beyond float16's range: the wire must clamp it
            self.obs_buf["depth"][0] = 1e6
        return self.obs_buf, rewards, dones.long(), {"time_outs": time_outs, "log": log}

    def close(self) -> None:
        """Nothing to release; with ``hang_in_close`` it never returns, with ``die_in_close`` the process dies (as a
        simulator's ``close()`` can)."""
        if self.hang_in_close:
            time.sleep(3600)
        if self.die_in_close:
            os.kill(os.getpid(), signal.SIGKILL)

    def drain_episode_outcomes(self) -> tuple[int, int]:
        """(successes, episodes) ended since the last call, for a learner's curriculum."""
        outcomes, self.outcomes = tuple(self.outcomes), [0, 0]
        return outcomes

    def set_curriculum_step(self, step: int) -> None:
        """Follow a learner's curriculum decision: episodes start further out at higher steps."""
        self.curriculum_step = step

    def reset_envs(self, env_ids: torch.Tensor) -> None:
        self._reset(env_ids)
        self.obs_buf = self._compute_observations()

    def _reset(self, env_ids: torch.Tensor) -> None:
        self.episode[env_ids] += 1
        scale = 1.0 + 0.25 * self.curriculum_step
        self.state[env_ids] = scale * _initial_state(self.global_ids[env_ids], self.episode[env_ids])
        self.episode_length_buf[env_ids] = 0


class LockstepToyVecEnv(ToyVecEnv):
    """A single-process ``ToyVecEnv`` that follows a :class:`LockstepCurriculum` as a disaggregated learner applies
    it: step ``t + 1`` runs at the decision counted through step ``t - 1``."""

    def __init__(self, num_envs: int, curriculum) -> None:
        super().__init__(num_envs)
        self.curriculum = curriculum

    def step(self, actions: torch.Tensor):
        result = super().step(actions)
        self.set_curriculum_step(self.curriculum.step)
        self.curriculum.add(*self.drain_episode_outcomes())
        return result


def toy_curriculum():
    """A curriculum that moves within a few iterations of the toy environments."""
    from dexgrasp.runner.curriculum import LockstepCurriculum

    return LockstepCurriculum(num_steps=5, threshold=0.0, min_episodes=4)


def make_toy_env(rank, device, num_envs, seed, env_counts=None, faults=None, pid_dir=None):
    """Environment factory for ``run_disaggregated``: env offset from ``env_counts``, options (faults) per rank."""
    del seed  # the toy environment is deterministic
    offset = sum(env_counts[:rank]) if env_counts else rank * num_envs
    if pid_dir:
        with open(os.path.join(pid_dir, f"sim{rank}.pid"), "w") as f:
            f.write(str(os.getpid()))
    options = (faults or {}).get(rank, {})
    return ToyVecEnv(num_envs, device=device, env_offset=offset, **options)


def ppo_cfg(recurrent: bool = False, cnn: bool = False, num_steps: int = 8, normalize: bool = False) -> dict:
    """Small RSL-RL 5.5 PPO configuration (MLP, LSTM or CNN actor-critic)."""
    model = {"hidden_dims": [32, 32], "activation": "elu", "obs_normalization": normalize}
    groups = ["proprio"]
    if recurrent:
        model.update(class_name="RNNModel", rnn_type="lstm", rnn_hidden_dim=16, rnn_num_layers=2)
    elif cnn:
        model.update(class_name="CNNModel", cnn_cfg={"output_channels": [4], "kernel_size": 3, "stride": 2})
        groups = ["proprio", "depth", "rgb"]
    else:
        model.update(class_name="MLPModel")
    actor = dict(model, distribution_cfg={"class_name": "GaussianDistribution", "init_std": 1.0})
    return {
        "num_steps_per_env": num_steps,
        "save_interval": 1,
        "obs_groups": {"actor": groups, "critic": groups},
        "actor": actor,
        "critic": dict(model),
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": 2,
            "num_mini_batches": 2,
            "learning_rate": 1e-3,
            "schedule": "adaptive",
            "desired_kl": 0.01,
        },
    }


def record_rollouts(runner, iterations: int) -> list[dict]:
    """Run ``iterations`` of ``runner.learn`` and return a copy of the storage before each update."""
    snapshots = []
    update = runner.alg.update

    def recording_update():
        st = runner.alg.storage
        snapshot = {
            "obs": {key: value.clone() for key, value in st.observations.items()},
            "actions": st.actions.clone(),
            "rewards": st.rewards.clone(),
            "dones": st.dones.clone(),
            "values": st.values.clone(),
            "actions_log_prob": st.actions_log_prob.clone(),
        }
        if st.saved_hidden_state_a is not None:
            snapshot["hidden_actor"] = [h.clone() for h in st.saved_hidden_state_a]
            snapshot["hidden_critic"] = [h.clone() for h in st.saved_hidden_state_c]
        snapshots.append(snapshot)
        return update()

    runner.alg.update = recording_update
    runner.learn(iterations, init_at_random_ep_len=True)
    return snapshots


def build_runner(env, cfg: dict, seed: int, runner_class=None, log_dir=None):
    from dexgrasp.runner import PipelinedOnPolicyRunner

    torch.manual_seed(seed)
    return (runner_class or PipelinedOnPolicyRunner)(env, cfg, log_dir=log_dir, device="cpu")


# -- learner functions (run in the learner process) ------------------------------------------------------------


def rollout_learner(
    env, out_path: str, recurrent: bool, seed: int, iterations: int, normalize: bool = False, curriculum: bool = False
) -> None:
    """Record the rollouts of a pipelined run for comparison with a single-process run (and the curriculum's step)."""
    if curriculum:
        env.curriculum = toy_curriculum()
    runner = build_runner(env, ppo_cfg(recurrent=recurrent, normalize=normalize), seed)
    snapshots = record_rollouts(runner, iterations)
    torch.save({"rollouts": snapshots, "curriculum_step": env.curriculum_state().get("step")}, out_path)


def report_learner(env, out_path: str) -> None:
    """Report what the learner sees: specs, dtypes, values against a local toy env, episode-length writes."""
    obs = env.get_observations()
    reference = ToyVecEnv(env.num_envs).get_observations()
    env.episode_length_buf = torch.full((env.num_envs,), 5, dtype=torch.long)
    _, _, dones, extras = env.step(torch.zeros(env.num_envs, env.num_actions))
    report = {
        "num_envs": env.num_envs,
        "num_actions": env.num_actions,
        "max_episode_length": env.max_episode_length,
        "slices": [[s.start, s.stop] for s in env.slices],
        "specs": [
            {
                "num_envs": spec.num_envs,
                "device": spec.device,
                "log_keys": list(spec.log_keys),
                "groups": {g.key: [list(g.shape), str(g.env_dtype), str(g.wire_dtype)] for g in spec.groups},
            }
            for spec in env.specs
        ],
        "learner_dtypes": {key: str(value.dtype) for key, value in obs.items()},
        "rgb_exact": torch.equal(obs["rgb"], reference["rgb"]),
        "proprio_exact": torch.equal(obs["proprio"], reference["proprio"]),
        "depth_is_float16_rounded": torch.equal(obs["depth"], reference["depth"].half().float()),
        "episode_length_after_write": env.episode_length_buf.tolist(),
        "dones": dones.tolist(),
        "log_keys": sorted(extras["log"]),
        "time_outs_dtype": str(extras["time_outs"].dtype),
        "cfg": env.cfg,
        "environ": {v: os.environ.get(v) for v in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "CUDA_VISIBLE_DEVICES")},
        "describe": env.describe(),
    }
    with open(out_path, "w") as f:
        json.dump(report, f)


def step_learner(env, out_path: str, steps: int) -> None:
    """Step with zero actions next to a local ``ToyVecEnv`` of all environments; report rewards, dones and the
    ``Metrics/state_norm`` and per-episode ``Metrics/final_norm`` log values of both."""
    reference = ToyVecEnv(env.num_envs)
    actions = torch.zeros(env.num_envs, env.num_actions)
    report = {"rewards": [], "dones": [], "state_norm": [], "reference_state_norm": [], "final_norm": []}
    report["reference_final_norm"] = []
    for _ in range(steps):
        _, rewards, dones, extras = env.step(actions)
        reference_log = reference.step(actions)[3]["log"]
        report["rewards"].append(rewards.tolist())
        report["dones"].append(dones.tolist())
        report["state_norm"].append(float(extras["log"]["Metrics/state_norm"]))
        report["reference_state_norm"].append(float(reference_log["Metrics/state_norm"]))
        for key, log in (("final_norm", extras["log"]), ("reference_final_norm", reference_log)):
            value = log.get("Metrics/final_norm")
            report[key].append(None if value is None else value.tolist())
    with open(out_path, "w") as f:
        json.dump(report, f)


def extremes_learner(env, out_path: str, steps: int) -> None:
    """Step with zero actions; report, per step, whether every observation is finite and the largest depth."""
    report = {"finite": [], "depth_max": []}
    for _ in range(steps):
        obs = env.step(torch.zeros(env.num_envs, env.num_actions))[0]
        report["finite"].append(all(bool(torch.isfinite(v.float()).all()) for v in obs.values()))
        report["depth_max"].append(float(obs["depth"].max()))
    report["nonfinite_obs_resets"] = env.nonfinite_obs_resets
    with open(out_path, "w") as f:
        json.dump(report, f)


def timing_learner(env, out_path: str, think_s: float, steps: int) -> None:
    """Take ``think_s`` before each step's actions, and report the pipeline times the steps logged."""
    logs = []
    for _ in range(steps):
        time.sleep(think_s)
        _, _, _, extras = env.step(torch.zeros(env.num_envs, env.num_actions))
        logs.append({k: float(v) for k, v in extras["log"].items() if k.startswith("Pipeline/")})
    with open(out_path, "w") as f:
        json.dump({"logs": logs, "learner_wait_s": env.learner_wait_s}, f)


def train_learner(env, log_dir: str, out_path: str, cnn: bool = False, iterations: int = 2) -> None:
    """Train PPO for a few iterations and report the run's numbers."""
    runner = build_runner(env, ppo_cfg(cnn=cnn), seed=1, log_dir=log_dir)
    runner.learn(iterations, init_at_random_ep_len=True)
    report = {
        "iterations": runner.current_learning_iteration + 1,
        "checkpoints": sorted(f for f in os.listdir(log_dir) if f.endswith(".pt")),
        "nonfinite_obs_resets": env.nonfinite_obs_resets,
        "storage_dtypes": {key: str(v.dtype) for key, v in runner.alg.storage.observations.items()},
        "environ": {v: os.environ.get(v) for v in ("WORLD_SIZE", "RANK", "LOCAL_RANK")},
        "cuda_visible_devices_at_start": _environ_at_start().get("CUDA_VISIBLE_DEVICES"),
        "torchrun_attempt": os.environ.get("TORCHELASTIC_RESTART_COUNT"),
    }
    with open(out_path, "w") as f:
        json.dump(report, f)


def _environ_at_start() -> dict:
    """The environment this process started with (Linux): a variable set later in the process is not in it."""
    with open("/proc/self/environ", "rb") as f:
        entries = f.read().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def long_learner(env, out_dir: str, stall_on_stop: bool = False) -> None:
    """Train "forever"; save a checkpoint when the run fails (``stall_on_stop``: then never return); mark when
    learning has started."""
    runner = build_runner(env, ppo_cfg(), seed=0)
    nccl_error_handling = os.environ.get("TORCH_NCCL_ASYNC_ERROR_HANDLING")
    infos = {"nccl_error_handling": nccl_error_handling}

    def save(exc: BaseException) -> None:
        runner.save(os.path.join(out_dir, "checkpoint.pt"), infos={**infos, "reason": str(exc)})
        while stall_on_stop:
            time.sleep(1.0)

    env.on_failure(save)
    with open(os.path.join(out_dir, "learner.pid"), "w") as f:
        f.write(str(os.getpid()))
    update = runner.alg.update

    def marking_update():
        open(os.path.join(out_dir, "learning"), "w").close()
        return update()

    runner.alg.update = marking_update
    runner.learn(100000)


TOY_ADR = {"num_steps": 50, "success_threshold": 0.4, "min_episodes": 64}
"""Curriculum parameters for the project's learner functions (the toy environment reports no episode outcomes)."""


def signalled_learner(env, log_dir: str, signal_at_optimizer_step: int, iterations: int, resume: str | None = None):
    """The project's RSL-RL learner function (``learn_rsl_rl``) on the toy environments; the process sends itself
    SIGTERM right after optimizer step ``signal_at_optimizer_step`` (counted from 1), inside a PPO update."""
    from dexgrasp.learners.rsl_rl_ppo import learn_rsl_rl
    from torch.optim.optimizer import register_optimizer_step_post_hook

    steps = [0]

    def after_step(_optimizer, _args, _kwargs):
        steps[0] += 1
        if steps[0] == signal_at_optimizer_step:
            os.kill(os.getpid(), signal.SIGTERM)

    register_optimizer_step_post_hook(after_step)
    learn_rsl_rl(env, "toy", ppo_cfg(), log_dir, resume, iterations, TOY_ADR)


def hybrid_learner(env, log_dir: str, out_dir: str, iterations: int) -> None:
    """One learner of a hybrid run: ``learn_rsl_rl`` with a recurrent policy and 4 mini-batches, then its losses,
    parameters and how it averages gradients of 1 (learner 0) and 4 (learner 1), saved as ``learner<rank>.pt``."""
    import torch.distributed as dist
    from dexgrasp.learners.rsl_rl_ppo import learn_rsl_rl
    from rsl_rl.algorithms import PPO

    losses, update = [], PPO.update

    def recording_update(alg):
        losses.append(update(alg))
        return losses[-1]

    PPO.update = recording_update
    cfg = ppo_cfg(recurrent=True)
    cfg["algorithm"]["num_mini_batches"] = 4
    runner = learn_rsl_rl(env, "toy", cfg, log_dir, None, iterations, TOY_ADR)
    rank = dist.get_rank()
    params = [p for model in (runner.alg.actor, runner.alg.critic) for p in model.parameters()]
    state = {"actor": runner.alg.actor.state_dict(), "critic": runner.alg.critic.state_dict()}
    for param in params:
        param.grad = torch.full_like(param, 1.0 + 3.0 * rank)
    runner.alg.reduce_parameters()
    averaged = torch.cat([param.grad.flatten() for param in params]).unique().tolist()
    report = {"num_envs": env.num_envs, "losses": losses, "state": state, "averaged": averaged}
    torch.save(report, os.path.join(out_dir, f"learner{rank}.pt"))


def hanging_hybrid_learner(env, log_dir: str, hang_at_step: int) -> None:
    """One learner of a hybrid run (``learn_rsl_rl`` with the learners' shared curriculum); learner 1 stops
    answering the others after collecting ``hang_at_step`` steps."""
    import torch.distributed as dist
    from dexgrasp.learners.rsl_rl_ppo import learn_rsl_rl

    if dist.get_rank() == 1:
        collect, collected = env.collect, [0]

        def hanging_collect():
            collected[0] += 1
            if collected[0] == hang_at_step:
                time.sleep(3600)
            return collect()

        env.collect = hanging_collect
    learn_rsl_rl(env, "toy", ppo_cfg(), log_dir, None, 100, TOY_ADR)


# -- script mode --------------------------------------------------------------------------------------------------


def drive(argv: list[str]) -> int:
    """``sigint OUT_DIR``: a long run to interrupt. ``torchrun OUT_DIR``: a short training run under torchrun.
    ``restart OUT_DIR``: the same, where simulation process 1 dies in torchrun's first attempt. ``die OUT_DIR``: a
    long run under torchrun in which simulation process 1 dies once learning has started. ``stall OUT_DIR``: a long
    run whose learner never finishes stopping."""
    from dexgrasp.runner import Layout, run_disaggregated

    mode, out_dir = argv
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    factory_kwargs = {"pid_dir": out_dir}
    if mode == "restart" and os.environ.get("TORCHELASTIC_RESTART_COUNT") == "0":
        factory_kwargs["faults"] = {1: {"die_at_step": 5}}
    if mode == "die":
        factory_kwargs["faults"] = {1: {"die_at_step": 20}}
    if mode in ("sigint", "die", "stall"):
        learner_kwargs = {"out_dir": out_dir, "stall_on_stop": mode == "stall"}
        return run_disaggregated(layout, make_toy_env, factory_kwargs, long_learner, learner_kwargs, 10.0)
    learner_kwargs = {"log_dir": out_dir, "out_path": os.path.join(out_dir, "report.json")}
    return run_disaggregated(layout, make_toy_env, factory_kwargs, train_learner, learner_kwargs, 10.0)


if __name__ == "__main__":
    import toy_vec_env

    sys.exit(toy_vec_env.drive(sys.argv[1:]))
