"""Distillation variants of the grasp tasks: which scene serves a (student task, teacher task) pair.

Each variant is registered as a Gymnasium id of its own (not listed among the user-facing tasks) so that
Isaac Lab's configuration loader applies presets and overrides to it like to any task, and so that any
process can build it by id. Importing this module needs Gymnasium only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym

STATE = "DexGrasp-KukaAllegro-State-v0"
DEPTH = "DexGrasp-KukaAllegro-Depth-v0"
STEREO = "DexGrasp-KukaAllegro-StereoRGB-v0"
SCRIPTED = "scripted"
"""The teacher "task" of the scripted grasp expert (``--teacher scripted``): its labels come from the scene."""


@dataclass(frozen=True)
class DistillVariant:
    """A student task served together with the inputs of a teacher trained on another task."""

    task: str
    teacher_task: str
    env_id: str
    env_cfg: str
    agent_cfg: str
    student_groups: tuple[str, ...]
    teacher_renames: dict[str, str] = field(default_factory=dict)
    """Observation groups of the teacher's own task that carry another name in this scene."""

    def teacher_groups(self, trained_on: list[str]) -> list[str]:
        """The groups of this scene that feed a teacher trained on ``trained_on`` (same order)."""
        return [self.teacher_renames.get(group, group) for group in trained_on]


VARIANTS = {
    (STEREO, STATE): DistillVariant(
        STEREO,
        STATE,
        "DexGrasp-KukaAllegro-StereoRGB-FromState-v0",
        "StereoRGBFromStateEnvCfg",
        "StereoRGBDistillRunnerCfg",
        ("policy", "left_rgb", "right_rgb"),
        {"policy": "teacher"},
    ),
    (STEREO, DEPTH): DistillVariant(
        STEREO,
        DEPTH,
        "DexGrasp-KukaAllegro-StereoRGB-FromDepth-v0",
        "StereoRGBFromDepthEnvCfg",
        "StereoRGBDistillRunnerCfg",
        ("policy", "left_rgb", "right_rgb"),
    ),
    (DEPTH, STATE): DistillVariant(
        DEPTH,
        STATE,
        "DexGrasp-KukaAllegro-Depth-FromState-v0",
        "DepthFromStateEnvCfg",
        "DepthDistillRunnerCfg",
        ("policy", "depth"),
        {"policy": "teacher"},
    ),
    (STATE, SCRIPTED): DistillVariant(
        STATE,
        SCRIPTED,
        "DexGrasp-KukaAllegro-State-FromScripted-v0",
        "StateFromScriptedEnvCfg",
        "StateDistillRunnerCfg",
        ("policy",),
    ),
    (STEREO, SCRIPTED): DistillVariant(
        STEREO,
        SCRIPTED,
        "DexGrasp-KukaAllegro-StereoRGB-FromScripted-v0",
        "StereoRGBFromScriptedEnvCfg",
        "StereoRGBDistillRunnerCfg",
        ("policy", "left_rgb", "right_rgb"),
    ),
    (DEPTH, SCRIPTED): DistillVariant(
        DEPTH,
        SCRIPTED,
        "DexGrasp-KukaAllegro-Depth-FromScripted-v0",
        "DepthFromScriptedEnvCfg",
        "DepthDistillRunnerCfg",
        ("policy", "depth"),
    ),
}


class VariantError(ValueError):
    """No scene serves this student task with this teacher."""


def variant_for(task: str, teacher_task: str) -> DistillVariant:
    try:
        return VARIANTS[(task, teacher_task)]
    except KeyError:
        pairs = ", ".join(f"{t.split('-')[2]} <- {s.split('-')[2] if '-' in s else s}" for t, s in VARIANTS)
        raise VariantError(
            f"a teacher trained on '{teacher_task}' cannot teach '{task}' (supported student <- teacher: {pairs})"
        ) from None


def variant_by_env_id(env_id: str) -> DistillVariant | None:
    return next((v for v in VARIANTS.values() if v.env_id == env_id), None)


for _variant in VARIANTS.values():
    if _variant.env_id not in gym.registry:
        gym.register(
            id=_variant.env_id,
            entry_point=f"{__package__}.grasp_env:GraspEnv",
            disable_env_checker=True,
            kwargs={
                "env_cfg_entry_point": f"{__package__}.distill_env_cfg:{_variant.env_cfg}",
                "rsl_rl_cfg_entry_point": f"{__package__}.agents.rsl_rl_distill_cfg:{_variant.agent_cfg}",
                "default_agent": "rsl_rl",
            },
        )
