"""Kuka-Allegro grasp tasks: state teacher, end-to-end depth policy, stereo RGB student."""

import gymnasium as gym

from . import agents, distill_tasks  # noqa: F401  (distill_tasks registers the distillation variants)

TASK_IDS = (
    "DexGrasp-KukaAllegro-State-v0",
    "DexGrasp-KukaAllegro-Depth-v0",
    "DexGrasp-KukaAllegro-StereoRGB-v0",
)

_VARIANTS = {
    "DexGrasp-KukaAllegro-State-v0": ("GraspStateEnvCfg", "GraspStatePPORunnerCfg", "skrl_ppo_state.yaml"),
    "DexGrasp-KukaAllegro-Depth-v0": ("GraspDepthEnvCfg", "GraspDepthPPORunnerCfg", "skrl_ppo_depth.yaml"),
    "DexGrasp-KukaAllegro-StereoRGB-v0": (
        "GraspStereoRGBEnvCfg",
        "GraspStereoRGBPPORunnerCfg",
        "skrl_ppo_stereo_rgb.yaml",
    ),
}

for _task_id, (_env_cfg, _rsl_cfg, _skrl_cfg) in _VARIANTS.items():
    if _task_id in gym.registry:
        continue
    gym.register(
        id=_task_id,
        entry_point=f"{__name__}.grasp_env:GraspEnv",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{__name__}.grasp_env_cfg:{_env_cfg}",
            "rsl_rl_cfg_entry_point": f"{agents.__name__}.rsl_rl_ppo_cfg:{_rsl_cfg}",
            "skrl_cfg_entry_point": f"{agents.__name__}:{_skrl_cfg}",
            "default_agent": "rsl_rl",
        },
    )
