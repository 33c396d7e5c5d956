"""Roll a trained policy out in its task and gather episode statistics and camera frames."""

from __future__ import annotations

import csv
import json
import os

import torch

from . import frames as F

IMAGE_GROUPS = ("depth", "left_rgb", "right_rgb")
STOCHASTIC_LIBRARIES = ("rsl_rl", "skrl")
"""Checkpoints whose policy has an action distribution to sample (PPO's); the scripted expert and students have none."""


class CheckpointPolicy:
    """The action of a checkpoint, for RSL-RL and skrl alike (``agent_cfg`` is a plain dict): the mean of its action
    distribution, or with ``stochastic`` a sample from it, as the policy acted while it trained (only the
    :data:`STOCHASTIC_LIBRARIES` have one; ``scripts/play.py`` refuses the others before the simulator starts)."""

    def __init__(
        self, env, env_cfg, agent_cfg, library: str, checkpoint: str | None, device: str, stochastic: bool = False
    ):
        self.library, self.stochastic = library, stochastic
        if library == "scripted":
            from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

            from dexgrasp.learners.distillation.policy import ExpertPolicy

            self.library = "rsl_rl"  # acts on the RSL-RL wrapper; reads the simulator, not the observations
            self.env = RslRlVecEnvWrapper(env)
            self.policy = ExpertPolicy(env.unwrapped)
        elif library == "rsl_rl_distill":
            from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

            from dexgrasp.learners.distillation.policy import load_student

            self.library = "rsl_rl"  # a distilled student acts like an RSL-RL policy
            self.env = RslRlVecEnvWrapper(env)
            self.policy = load_student(checkpoint, self.env.get_observations(), self.env.num_actions, device)
        elif library == "rsl_rl":
            from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

            from dexgrasp.learners.rsl_rl_runners import GraspOnPolicyRunner

            self.env = RslRlVecEnvWrapper(env, clip_actions=agent_cfg.get("clip_actions"))
            runner = GraspOnPolicyRunner(self.env, agent_cfg, None, device, metadata=dict)
            runner.load(checkpoint, map_location=device)
            self.policy = runner.get_inference_policy(device)
        else:
            from dexgrasp.learners.skrl_ppo import build_runner

            runner, self.env = build_runner(env, agent_cfg, None)
            runner.agent.load(checkpoint)
            runner.agent.enable_training_mode(False) if hasattr(runner.agent, "enable_training_mode") else None
            self.agent = runner.agent

    def reset(self) -> dict:
        if self.library == "rsl_rl":
            return self.env.get_observations()
        obs, _ = self.env.reset()
        return obs

    def step(self, obs):
        """One step: returns (next policy input, rewards, dones, raw observation groups)."""
        if self.library == "rsl_rl":
            actions = self.policy(obs, stochastic_output=True) if self.stochastic else self.policy(obs)
            obs, rewards, dones, _ = self.env.step(actions)
            self.policy.reset(dones)
            return obs, rewards, dones, obs
        sampled, outputs = self.agent.act(obs, self.env.state(), timestep=0, timesteps=1)
        actions = sampled if self.stochastic else outputs.get("mean_actions")
        obs, rewards, terminated, truncated, _ = self.env.step(actions)
        groups = self.env._unwrapped.obs_buf
        return obs, rewards.view(-1), (terminated | truncated).view(-1), groups


def evaluate(
    task: str,
    env_cfg,
    agent_cfg,
    library: str,
    checkpoint: str | None,
    episodes: int,
    out: str,
    device: str,
    video: bool = False,
    viewer=None,
    stochastic: bool = False,
) -> dict:
    """Run ``episodes`` episodes of ``checkpoint`` (``library``: how it was trained, or "scripted"); write frames,
    statistics (CSV/JSON) and an optional video into ``out``. ``stochastic``: sampled actions, else the mean."""
    from dexgrasp.envs.factory import has_cameras, open_env
    from dexgrasp.tasks.grasp.config.kuka_allegro.camera_cfg import camera_cfg
    from dexgrasp.tasks.grasp.mdp import episode_success

    if not has_cameras(env_cfg):
        # the state task has no camera of its own: watch it through the depth camera's viewpoint in RGB
        env_cfg.scene.viewer_camera = camera_cfg("ViewerCamera", ["rgb"], env_cfg.image.width, env_cfg.image.height)
    os.makedirs(out, exist_ok=True)
    with open_env(task, env_cfg, device, viewer=viewer, enable_cameras=True) as env:
        runner = CheckpointPolicy(env, env_cfg, agent_cfg, library, checkpoint, device, stochastic)
        return run_episodes(env.unwrapped, runner, episode_success, task, checkpoint, episodes, out, video, stochastic)


def _images(env, groups) -> dict[str, torch.Tensor]:
    found = {g: groups[g] for g in IMAGE_GROUPS if g in groups}
    if not found and "viewer_camera" in env.scene.sensors:
        rgb = env.scene.sensors["viewer_camera"].data.output["rgb"].torch[..., :3]
        found = {"viewer_rgb": rgb.permute(0, 3, 1, 2)}
    return found


@torch.inference_mode()
def run_episodes(
    env,
    runner,
    episode_success,
    task: str,
    checkpoint: str | None,
    episodes: int,
    out: str,
    video: bool = False,
    stochastic: bool = False,
) -> dict:
    """Step ``runner`` (``reset()`` and ``step(obs)`` as :class:`CheckpointPolicy` has them) until ``episodes`` episodes ended,
    as evenly over the environments as they allow; write and return their statistics (``stochastic``: the runner
    samples its actions, which the summary records)."""
    n = env.num_envs
    ep_return = torch.zeros(n, device=env.device)
    ep_length = torch.zeros(n, dtype=torch.long, device=env.device)
    records, snapshots, frames = [], [], []
    obs = runner.reset()
    max_steps = int(env.max_episode_length) * (episodes // n + 2)
    # the same number of episodes from every environment: counting the first to finish would favour short ones
    quota = -(-episodes // n)
    per_env = [0] * n
    snapshot_every = max(1, int(env.max_episode_length) // 4)
    for step in range(max_steps):
        obs, rewards, dones, groups = runner.step(obs)
        ep_return += rewards.to(env.device)
        ep_length += 1
        images = _images(env, groups)
        if images and step % snapshot_every == 0 and len(snapshots) < 4:
            snapshots.extend(F.camera_row(images, i) for i in range(min(n, 2)))
        if images and video:
            frames.append(F.camera_row(images, 0))
        done_ids = dones.to(env.device).nonzero().flatten()
        success = episode_success(env)
        metrics = env.episode_metrics
        for i in done_ids.tolist():
            if len(records) < episodes and per_env[i] < quota:
                per_env[i] += 1
                records.append(
                    {
                        "env": i,
                        "length": int(ep_length[i]),
                        "return": float(ep_return[i]),
                        "success": bool(success[i]),
                        "lifted": bool(metrics.last_lifted[i]),
                        "closest_distance": float(metrics.last_closest[i]),
                    }
                )
        ep_return[done_ids] = 0.0
        ep_length[done_ids] = 0
        if len(records) >= episodes:
            break
    return _write(records, snapshots, frames, task, checkpoint, out, stochastic)


def _write(
    records: list[dict], snapshots, video, task: str, checkpoint: str | None, out: str, stochastic: bool
) -> dict:
    count = len(records)
    summary = {
        "task": task,
        "checkpoint": "scripted" if checkpoint in (None, "scripted") else checkpoint,
        "actions": "sampled" if stochastic else "mean",
        "episodes": count,
        "success_rate": sum(r["success"] for r in records) / count if count else 0.0,
        "lifted_rate": sum(r["lifted"] for r in records) / count if count else 0.0,
        "mean_length": sum(r["length"] for r in records) / count if count else 0.0,
        "mean_return": sum(r["return"] for r in records) / count if count else 0.0,
    }
    with open(os.path.join(out, "episodes.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["env", "length", "return", "success", "lifted", "closest_distance"])
        writer.writeheader()
        writer.writerows(records)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if snapshots:
        F.save_png(F.grid(snapshots), os.path.join(out, "frames.png"))
    if video:
        F.save_video(video, os.path.join(out, "video.mp4"))
    return summary
