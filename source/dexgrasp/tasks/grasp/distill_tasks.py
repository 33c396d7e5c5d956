"""Distillation variants of the grasp tasks: which scene serves a (student task, teacher task) pair.

Each variant is a Gymnasium id of its own (registered with the other tasks,
:mod:`dexgrasp.tasks.grasp.config.kuka_allegro`, not listed among the user-facing tasks) so that Isaac Lab's
configuration loader applies presets and overrides to it like to any task, and so that any process can build it
by id. Importing this module needs Gymnasium only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config.kuka_allegro import (
    DEPTH,
    DEPTH_FROM_SCRIPTED,
    DEPTH_FROM_STATE,
    STATE,
    STATE_FROM_SCRIPTED,
    STEREO,
    STEREO_FROM_DEPTH,
    STEREO_FROM_SCRIPTED,
    STEREO_FROM_STATE,
)

SCRIPTED = "scripted"
"""The teacher "task" of the scripted grasp expert (``--teacher scripted``): its labels come from the scene."""


@dataclass(frozen=True)
class DistillVariant:
    """A student task served together with the inputs of a teacher trained on another task."""

    task: str
    teacher_task: str
    env_id: str
    student_groups: tuple[str, ...]
    teacher_renames: dict[str, str] = field(default_factory=dict)
    """Observation groups of the teacher's own task that carry another name in this scene."""

    def teacher_groups(self, trained_on: list[str]) -> list[str]:
        """The groups of this scene that feed a teacher trained on ``trained_on`` (same order)."""
        return [self.teacher_renames.get(group, group) for group in trained_on]


_STEREO_GROUPS = ("policy", "left_rgb", "right_rgb")
_DEPTH_GROUPS = ("policy", "depth")

VARIANTS = {
    (STEREO, STATE): DistillVariant(STEREO, STATE, STEREO_FROM_STATE, _STEREO_GROUPS, {"policy": "teacher"}),
    (STEREO, DEPTH): DistillVariant(STEREO, DEPTH, STEREO_FROM_DEPTH, _STEREO_GROUPS),
    (DEPTH, STATE): DistillVariant(DEPTH, STATE, DEPTH_FROM_STATE, _DEPTH_GROUPS, {"policy": "teacher"}),
    (STATE, SCRIPTED): DistillVariant(STATE, SCRIPTED, STATE_FROM_SCRIPTED, ("policy",)),
    (STEREO, SCRIPTED): DistillVariant(STEREO, SCRIPTED, STEREO_FROM_SCRIPTED, _STEREO_GROUPS),
    (DEPTH, SCRIPTED): DistillVariant(DEPTH, SCRIPTED, DEPTH_FROM_SCRIPTED, _DEPTH_GROUPS),
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
