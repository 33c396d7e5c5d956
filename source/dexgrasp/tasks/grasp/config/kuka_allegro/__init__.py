"""The Kuka-Allegro grasp tasks: every Gymnasium id this package registers, in one table.

Three user-facing tasks (state teacher, end-to-end depth policy, stereo RGB student), the state and depth tasks with
the scripted expert's labels for guided PPO, and the distillation variants, each a scene that serves a student task
together with its teacher's inputs (:mod:`dexgrasp.tasks.grasp.distill_tasks` says which pair each serves). Entry points are strings, so importing
this module needs Gymnasium only: the configurations load when a task is built.
"""

from dataclasses import dataclass

import gymnasium as gym

STATE = "DexGrasp-KukaAllegro-State-v0"
DEPTH = "DexGrasp-KukaAllegro-Depth-v0"
STEREO = "DexGrasp-KukaAllegro-StereoRGB-v0"
TASK_IDS = (STATE, DEPTH, STEREO)
"""The tasks a user trains, plays and evaluates (the distillation variants are not listed to users)."""

STEREO_FROM_STATE = "DexGrasp-KukaAllegro-StereoRGB-FromState-v0"
STEREO_FROM_DEPTH = "DexGrasp-KukaAllegro-StereoRGB-FromDepth-v0"
DEPTH_FROM_STATE = "DexGrasp-KukaAllegro-Depth-FromState-v0"
STATE_FROM_SCRIPTED = "DexGrasp-KukaAllegro-State-FromScripted-v0"
STEREO_FROM_SCRIPTED = "DexGrasp-KukaAllegro-StereoRGB-FromScripted-v0"
DEPTH_FROM_SCRIPTED = "DexGrasp-KukaAllegro-Depth-FromScripted-v0"
STATE_GUIDED = "DexGrasp-KukaAllegro-State-ExpertGuided-v0"
DEPTH_GUIDED = "DexGrasp-KukaAllegro-Depth-ExpertGuided-v0"
GUIDED_VARIANTS = {STATE: STATE_GUIDED, DEPTH: DEPTH_GUIDED}
"""``scripts/train.py --guide``: the scene and PPO of a task with the scripted expert's labels added (the policy trained
there is a policy of the task itself)."""


@dataclass(frozen=True)
class TaskEntry:
    """One registered id: its environment configuration and learner configurations (``module:attribute``)."""

    env_cfg: str
    rsl_rl_cfg: str
    skrl_cfg: str | None = None


_ENV = f"{__name__}.kuka_allegro_env_cfg"
_DISTILL_ENV = f"{__name__}.distill_env_cfg"
_PPO = f"{__name__}.agents.rsl_rl_ppo_cfg"
_DISTILL = f"{__name__}.agents.rsl_rl_distill_cfg"
_SKRL = f"{__name__}.agents"

TASKS = {
    STATE: TaskEntry(f"{_ENV}:GraspStateEnvCfg", f"{_PPO}:GraspStatePPORunnerCfg", f"{_SKRL}:skrl_ppo_state.yaml"),
    DEPTH: TaskEntry(f"{_ENV}:GraspDepthEnvCfg", f"{_PPO}:GraspDepthPPORunnerCfg", f"{_SKRL}:skrl_ppo_depth.yaml"),
    STEREO: TaskEntry(
        f"{_ENV}:GraspStereoRGBEnvCfg", f"{_PPO}:GraspStereoRGBPPORunnerCfg", f"{_SKRL}:skrl_ppo_stereo_rgb.yaml"
    ),
    STEREO_FROM_STATE: TaskEntry(f"{_DISTILL_ENV}:StereoRGBFromStateEnvCfg", f"{_DISTILL}:StereoRGBDistillRunnerCfg"),
    STEREO_FROM_DEPTH: TaskEntry(f"{_DISTILL_ENV}:StereoRGBFromDepthEnvCfg", f"{_DISTILL}:StereoRGBDistillRunnerCfg"),
    DEPTH_FROM_STATE: TaskEntry(f"{_DISTILL_ENV}:DepthFromStateEnvCfg", f"{_DISTILL}:DepthDistillRunnerCfg"),
    STATE_FROM_SCRIPTED: TaskEntry(f"{_DISTILL_ENV}:StateFromScriptedEnvCfg", f"{_DISTILL}:StateDistillRunnerCfg"),
    STEREO_FROM_SCRIPTED: TaskEntry(
        f"{_DISTILL_ENV}:StereoRGBFromScriptedEnvCfg", f"{_DISTILL}:StereoRGBDistillRunnerCfg"
    ),
    DEPTH_FROM_SCRIPTED: TaskEntry(f"{_DISTILL_ENV}:DepthFromScriptedEnvCfg", f"{_DISTILL}:DepthDistillRunnerCfg"),
    STATE_GUIDED: TaskEntry(f"{_DISTILL_ENV}:StateFromScriptedEnvCfg", f"{_PPO}:GraspStateGuidedPPORunnerCfg"),
    DEPTH_GUIDED: TaskEntry(f"{_DISTILL_ENV}:DepthGuidedEnvCfg", f"{_PPO}:GraspDepthGuidedPPORunnerCfg"),
}
"""Every Gymnasium id of the Kuka-Allegro grasp tasks."""

for _task_id, _entry in TASKS.items():
    if _task_id in gym.registry:
        continue
    _kwargs = {"env_cfg_entry_point": _entry.env_cfg, "rsl_rl_cfg_entry_point": _entry.rsl_rl_cfg}
    if _entry.skrl_cfg is not None:
        _kwargs["skrl_cfg_entry_point"] = _entry.skrl_cfg
    gym.register(
        id=_task_id,
        entry_point="dexgrasp.tasks.grasp.grasp_env:GraspEnv",
        disable_env_checker=True,
        kwargs={**_kwargs, "default_agent": "rsl_rl"},
    )
