"""Roll a trained policy out in its task and gather episode statistics and camera frames."""

from __future__ import annotations

import csv
import json
import os
import statistics
import time
from collections import Counter

import numpy as np
import torch

from dexgrasp.runs import source_commit
from . import frames as F
from . import stats
from .episode_plan import EpisodePlan
from .visibility import COLUMNS as VISIBILITY_COLUMNS
from .visibility import EpisodeVisibility

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
        elif library == "modular":
            from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

            from dexgrasp.learners.distillation.policy import ModularPolicy

            self.library = "rsl_rl"  # the expert's controller on the student's position estimate
            self.env = RslRlVecEnvWrapper(env)
            self.policy = ModularPolicy(env.unwrapped, checkpoint, self.env.get_observations(), self.env.num_actions,
                                        device)  # fmt: skip
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
            runner.load(checkpoint, load_cfg={"actor": True}, map_location=device)  # acting needs the actor only
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
    level: float = 0.0,
    seed: int = 0,
    view_size: tuple[int, int] | None = None,
    on_done=None,
) -> dict:
    """Run the ``episodes`` planned episodes of ``seed`` at curriculum ``level`` with ``checkpoint`` (``library``: how
    it was trained, "scripted", or "modular": the scripted expert on the position estimate of the student
    ``checkpoint``); write frames, statistics (CSV/JSON) and an optional video into ``out``.
    ``stochastic``: sampled actions, else the mean. ``view_size`` (width, height) adds a third-person camera
    (:func:`view_size_for`) that the frames and the video show; without it they show what the policy sees.
    ``on_done(summary)`` runs when the episodes are written, before a browser view is kept up until Ctrl-C."""
    from dexgrasp.envs.factory import has_cameras, open_env
    from dexgrasp.tasks.grasp.config.kuka_allegro.camera_cfg import camera_cfg, third_person_camera_cfg
    from dexgrasp.tasks.grasp.mdp import episode_success
    from dexgrasp.viewer import serve_until_interrupted

    if view_size is not None:
        env_cfg.scene.third_person_camera = third_person_camera_cfg(*view_size)
    elif not has_cameras(env_cfg):
        # the state task has no camera of its own: watch it through the depth camera's viewpoint in RGB
        env_cfg.scene.viewer_camera = camera_cfg("ViewerCamera", ["rgb"], env_cfg.image.width, env_cfg.image.height)
    os.makedirs(out, exist_ok=True)
    with open_env(task, env_cfg, device, viewer=viewer, enable_cameras=True) as env:
        plan = start_plan(env.unwrapped, seed, episodes, level)  # before the policy's wrapper resets the scene
        runner = CheckpointPolicy(env, env_cfg, agent_cfg, library, checkpoint, device, stochastic)
        info = {"task": task, "checkpoint": "scripted" if checkpoint in (None, "scripted") else checkpoint}
        if library == "modular":
            info["policy"] = "modular: the scripted expert on the checkpoint's object-position estimate"
        info["actions"] = "sampled" if stochastic else "mean"
        summary = run_episodes(env.unwrapped, runner, episode_success, plan, info, out, video)
        if on_done is not None:
            on_done(summary)
        serve_until_interrupted(viewer)
        return summary


def start_plan(env, seed: int, episodes: int, level: float) -> EpisodePlan:
    """Hold ``env``'s curriculum at ``level`` and install a fresh plan of ``episodes`` episodes drawn from ``seed``
    (:mod:`.episode_plan`); the next reset starts them."""
    curriculum = env.curriculum
    if level > 0.0 and curriculum.num_steps == 0:
        raise ValueError(f"level {level} needs the task's ADR curriculum, which this configuration turned off")
    curriculum.follow(round(level * curriculum.num_steps))
    plan = EpisodePlan(seed, episodes, len(env.object_set_descriptors), env.object_index.tolist())
    env.episode_plan = plan
    return plan


def object_label(descriptor) -> str:
    """A readable name of a set's object from its shape descriptor (kind and size in cm)."""
    from dexgrasp.assets.procedural_objects import KINDS

    hot = list(descriptor[: len(KINDS)])
    if max(hot, default=0.0) <= 0.0:
        return "mesh"
    size = "x".join(f"{100 * v:.1f}" for v in descriptor[len(KINDS) :])
    return f"{KINDS[hot.index(max(hot))]} {size} cm"


VIEW_MAX_ENVS = 64
"""Environments up to which ``scripts/play.py`` adds the third-person camera for ``frames.png``: the renderer draws
every camera in every environment, and a 4,096-environment evaluation needs no thousands of views. ``--video``
adds it whatever the count."""
SHEET_VIEW_SIZE = (320, 240)


def view_size_for(num_envs: int, video_size: tuple[int, int] | None) -> tuple[int, int] | None:
    """The third-person camera's size: ``video_size`` when a video is asked for, a small view for ``frames.png``
    up to :data:`VIEW_MAX_ENVS` environments, else none."""
    if video_size is not None:
        return video_size
    return SHEET_VIEW_SIZE if num_envs <= VIEW_MAX_ENVS else None


def _view(env) -> np.ndarray | None:
    """Environment 0's third-person picture (H x W x 3 uint8), where the scene has that camera."""
    camera = env.scene.sensors.get("third_person_camera")
    if camera is None:
        return None
    return camera.data.output["rgb"].torch[0, ..., :3].cpu().numpy()


class _EpisodeSheet:
    """``frames.png``: environment 0 at :data:`SNAPSHOTS` evenly spaced steps of one whole episode, the first that
    succeeds (else the first), each picture labelled with its time in the episode."""

    def __init__(self, every: int, step_dt: float):
        self.every, self.step_dt = every, step_dt
        self.current: list[np.ndarray] = []
        self.chosen: list[np.ndarray] = []
        self.about: dict | None = None
        self.t = 0

    def wants(self) -> bool:
        return not (self.about and self.about["success"]) and self.t % self.every == 0

    def add(self, picture: np.ndarray) -> None:
        self.current.append(F.labelled(picture, f"env 0, t = {self.t * self.step_dt:.2f} s"))

    def step(self, done: bool, success: bool, episode: int | None) -> None:
        self.t += 1
        if not done:
            return
        if self.about is None or (success and not self.about["success"]):
            self.chosen, self.about = self.current, {"episode": episode, "success": success}
        self.current, self.t = [], 0

    def pictures(self) -> list[np.ndarray]:
        """The chosen episode's pictures; the running one's while environment 0 has finished none."""
        return self.chosen or self.current


def _images(env, groups) -> dict[str, torch.Tensor]:
    found = {g: groups[g] for g in IMAGE_GROUPS if g in groups}
    if not found and "viewer_camera" in env.scene.sensors:
        rgb = env.scene.sensors["viewer_camera"].data.output["rgb"].torch[..., :3]
        found = {"viewer_rgb": rgb.permute(0, 3, 1, 2)}
    return found


@torch.inference_mode()
def run_episodes(
    env, runner, episode_success, plan: EpisodePlan, info: dict, out: str, video: bool = False, pixels=None
) -> dict:
    """Step ``runner`` (``reset()`` and ``step(obs)`` as :class:`CheckpointPolicy` has them) until every episode of
    ``plan`` (installed on ``env``) has ended; write and return their statistics, with ``info`` (task, checkpoint,
    actions) in the summary. With ``pixels`` (:class:`~.visibility.ObjectPixels`) each episode also records how
    much of the object the cameras showed."""
    commit = source_commit()  # the code that runs, before anything may change the checkout
    n = env.num_envs
    ep_return = torch.zeros(n, device=env.device)
    ep_length = torch.zeros(n, dtype=torch.long, device=env.device)
    records, frames = [], []
    obs = runner.reset()
    starts = _start_states(env)
    holders = Counter(plan.env_objects)
    rounds = max(-(-count // holders[obj]) for obj, count in Counter(plan.objects).items())
    max_steps = int(env.max_episode_length) * (rounds + 2)
    sheet = _EpisodeSheet(max(1, int(env.max_episode_length) // SNAPSHOTS), env.step_dt)
    progress = _Progress(plan.episodes, n)
    seen = None if pixels is None else EpisodeVisibility(n)
    for step in range(max_steps):
        if seen is not None:  # the images the policy acts on
            seen.add(pixels.shares())
        obs, rewards, dones, groups = runner.step(obs)
        ep_return += rewards.to(env.device)
        ep_length += 1
        snapshot = sheet.wants()
        if snapshot or video:  # a camera nobody reads does not render
            images = _images(env, groups)
            row = F.camera_row(images, 0) if images else None
            view = _view(env)
            if snapshot and (view is not None or row is not None):  # a state task compared in its own scene has none
                sheet.add(F.picture(view, row))
            if video:
                frames.append(view if view is not None else row)
        done_ids = dones.to(env.device).nonzero().flatten()
        success = episode_success(env)
        sheet.step(bool(dones[0]), bool(success[0]), plan.finished[0])
        metrics = env.episode_metrics
        for i in done_ids.tolist():
            k = plan.finished[i]
            visibility = seen.close(i) if seen is not None else None
            if k is None:
                continue
            records.append(
                {
                    "episode": k,
                    "object": plan.objects[k],
                    "env": i,
                    "length": int(ep_length[i]),
                    "return": float(ep_return[i]),
                    "success": bool(success[i]),
                    "lifted": bool(metrics.last_lifted[i]),
                    "closest_distance": float(metrics.last_closest[i]),
                    **{key: round(float(values[i]), 5) for key, values in starts.items()},
                    **(visibility or {}),
                }
            )
        if len(done_ids):
            fresh = _start_states(env)
            for values, new in zip(starts.values(), fresh.values()):
                values[done_ids] = new[done_ids]
        ep_return[done_ids] = 0.0
        ep_length[done_ids] = 0
        progress.update(step + 1, len(records))
        if len(records) >= plan.episodes:
            break
    if len(records) < plan.episodes:
        raise RuntimeError(f"only {len(records)} of {plan.episodes} planned episodes ended in {max_steps} steps")
    from dexgrasp.tasks.grasp.scene_cfg import object_set_name

    records.sort(key=lambda r: r["episode"])
    labels = [object_label(d) for d in env.object_set_descriptors]
    setting = {
        "level": env.curriculum.level,
        "objects": object_set_name(env.cfg.objects),
        "objects_held": f"{plan.held} of {plan.num_objects}",
        "seed": plan.seed,
        "commit": commit,
        "num_envs": n,
        "device": str(env.device),
        "frames": sheet.about,
        **({} if pixels is None else {"cameras_measured": pixels.camera_names}),
    }
    pictures = sheet.pictures()
    return write_evaluation(records, labels, {**info, **setting}, out, pictures, frames, 1.0 / env.step_dt)


class _Progress:
    """Prints episodes done, env-steps/s and a time estimate every ``every_s`` seconds."""

    def __init__(self, episodes: int, num_envs: int, every_s: float = 15.0):
        self.episodes, self.num_envs, self.every_s = episodes, num_envs, every_s
        self.start = self.last = time.monotonic()

    def update(self, steps: int, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        self.last = now
        elapsed = now - self.start
        eta = f", about {elapsed * (self.episodes - done) / done / 60:.1f} min left" if done else ""
        print(
            f"[evaluate] {done}/{self.episodes} episodes, {steps * self.num_envs / elapsed:.0f} env-steps/s{eta}",
            flush=True,
        )


def _start_states(env) -> dict[str, torch.Tensor]:
    """What each environment's episode started from, as the reset left it: the object's position in the
    environment frame and its mass (written per episode, so a reader sees that episodes are samples)."""
    obj = env.scene["object"]
    pos = obj.data.root_pos_w.torch - env.scene.env_origins
    mass = obj.data.body_mass.torch[:, 0].to(pos.device)
    return {"start_x": pos[:, 0].clone(), "start_y": pos[:, 1].clone(), "start_z": pos[:, 2].clone(), "mass": mass.clone()}


SNAPSHOTS = 8
"""Pictures of ``frames.png`` per episode length (:class:`_EpisodeSheet`), in reading order."""

CSV_COLUMNS = ("episode", "object", "env", "length", "return", "success", "lifted", "closest_distance")
START_COLUMNS = ("start_x", "start_y", "start_z", "mass")


def _rate(records: list[dict], key: str) -> dict:
    """The rate of ``key`` with its Wilson interval (episodes as independent samples) and its object-bootstrap
    interval (objects as the samples)."""
    outcomes = [r[key] for r in records]
    low, high = stats.cluster_bootstrap_rate(outcomes, [r["object"] for r in records])
    return {**stats.rate(outcomes), "ci95_object_bootstrap": [round(low, 4), round(high, 4)]}


def write_evaluation(
    records: list[dict], labels: list[str], info: dict, out: str, snapshots=(), video=(), video_fps: float = 60.0
) -> dict:
    """Write ``episodes.csv``, ``objects.csv`` and ``summary.json`` into ``out``, and the frames and video when given;
    returns the summary: ``info`` (the setting and the commit, which :func:`run_episodes` takes before it starts),
    success and lifted with 95% Wilson intervals (``ci95``) and object-bootstrap intervals, the number of distinct
    start states (at ADR level 0 an object has one start, so its episodes repeat it) and the per-object table."""
    count = len(records)
    objects = stats.per_object(records)
    for row in objects:
        row["label"] = labels[row["object"]]
    summary = {
        **info,
        "episodes": count,
        "distinct_starts": len({(r["object"], *(r.get(key) for key in START_COLUMNS)) for r in records}),
        "success": _rate(records, "success"),
        "lifted": _rate(records, "lifted"),
        "success_rate": sum(r["success"] for r in records) / count if count else 0.0,
        "lifted_rate": sum(r["lifted"] for r in records) / count if count else 0.0,
        "mean_length": sum(r["length"] for r in records) / count if count else 0.0,
        "mean_return": sum(r["return"] for r in records) / count if count else 0.0,
        "per_object": objects,
    }
    measured = [c for c in VISIBILITY_COLUMNS if records and c in records[0]]
    for column in measured:  # how much of the object the cameras showed, in all, successful and failed episodes
        summary[f"mean_{column}"] = {
            group: statistics.fmean(r[column] for r in rows) if rows else None
            for group, rows in (
                ("all", records),
                ("success", [r for r in records if r["success"]]),
                ("failure", [r for r in records if not r["success"]]),
            )
        }
    with open(os.path.join(out, "episodes.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*CSV_COLUMNS, *START_COLUMNS, *measured], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    with open(os.path.join(out, "objects.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(objects[0]) if objects else ["object"])
        writer.writeheader()
        writer.writerows(objects)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if snapshots:
        F.save_png(F.sheet(list(snapshots)), os.path.join(out, "frames.png"))
    if video:
        F.save_video(list(video), os.path.join(out, "video.mp4"), video_fps)
    return summary
