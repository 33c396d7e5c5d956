"""What a trained RSL-RL policy is: its task, the groups it reads, its model, the images it saw.

Read from the checkpoint's metadata and the run's saved configuration (``params/agent.yaml`` and
``params/env.yaml`` next to the checkpoint), before any simulator starts, so that a wrong teacher is a
one-line error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml

from dexgrasp.runs import CheckpointError, read_metadata
from dexgrasp.tasks.grasp.distill_tasks import DEPTH, SCRIPTED, STATE

from .recorded_teacher import MEAN_GROUP, STD_GROUP, RecordedTeacher

TEACHER_TASKS = (STATE, DEPTH)


class _RunConfigLoader(yaml.SafeLoader):
    """Reads Isaac Lab's saved configurations: tuples as lists, other Python objects as their plain content."""


def _construct_python(loader: yaml.Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return loader.construct_scalar(node)


_RunConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python)


def load_run_yaml(path: str) -> dict:
    with open(path) as f:
        return yaml.load(f, Loader=_RunConfigLoader) or {}


@dataclass
class PolicySpec:
    checkpoint: str | None
    """None for the scripted expert, whose labels come from the scene."""
    task: str
    obs_groups: list[str]
    """The groups of its own task the teacher was trained on, in order."""
    model_cfg: dict
    """The actor's model configuration (``class_name`` and its arguments)."""
    image_size: tuple[int, int] | None
    depth_range: tuple[float, float] | None
    action_terms: list[str] | None


SCRIPTED_TEACHER = PolicySpec(
    checkpoint=None,
    task=SCRIPTED,
    obs_groups=[MEAN_GROUP, STD_GROUP],
    model_cfg={"class_name": f"{RecordedTeacher.__module__}:{RecordedTeacher.__name__}"},
    image_size=None,
    depth_range=None,
    action_terms=["hand", "palm"],
)
"""``--teacher scripted``: the scripted grasp expert labels each step in the simulation process."""


def read_teacher(path: str) -> PolicySpec:
    """The teacher behind ``path`` (or the scripted expert); raises :class:`CheckpointError` when it cannot teach."""
    if path == SCRIPTED:
        return SCRIPTED_TEACHER
    meta = read_metadata(path)
    if meta and meta.get("task") not in TEACHER_TASKS:
        raise CheckpointError(
            f"teacher {path} was trained on '{meta.get('task')}'; a teacher is a state or depth policy"
        )
    return read_policy(path, "teacher")


def read_policy(path: str, role: str = "policy") -> PolicySpec:
    """The RSL-RL policy (PPO actor) behind ``path``; raises :class:`CheckpointError` when there is none."""
    meta = read_metadata(path)
    if not meta:
        raise CheckpointError(f"{role} {path} has no task metadata: not a checkpoint of scripts/train.py")
    task = meta.get("task")
    if meta.get("library") != "rsl_rl":
        raise CheckpointError(f"{role} {path} was trained with {meta.get('library')}; this needs an rsl_rl policy")
    params = os.path.join(os.path.dirname(os.path.abspath(path)), "params")
    agent = meta.get("agent_cfg") or _optional_yaml(os.path.join(params, "agent.yaml"))
    if not agent or "actor" not in agent:
        raise CheckpointError(
            f"{role} {path}: no model configuration (neither in its metadata nor in {params}/agent.yaml)"
        )
    env = _optional_yaml(os.path.join(params, "env.yaml"))
    image = env.get("image") or {}
    return PolicySpec(
        checkpoint=os.path.abspath(path),
        task=task,
        obs_groups=list(meta.get("obs_groups", {}).get("actor") or agent.get("obs_groups", {}).get("actor", [])),
        model_cfg=dict(agent["actor"]),
        image_size=(int(image["width"]), int(image["height"])) if image else None,
        depth_range=tuple(env["depth_range"]) if env.get("depth_range") else None,
        action_terms=sorted(env["actions"]) if isinstance(env.get("actions"), dict) else None,
    )


def check_teacher_fits(spec: PolicySpec, env_cfg) -> None:
    """Reject a scene that would feed the teacher other inputs than it was trained on."""
    actions = sorted(k for k, v in env_cfg.actions.to_dict().items() if v is not None)
    if spec.action_terms is not None and spec.action_terms != actions:
        raise CheckpointError(
            f"teacher {spec.checkpoint} acts through {spec.action_terms}, this scene through {actions}"
        )
    if spec.task != DEPTH:
        return
    size = (env_cfg.image.width, env_cfg.image.height)
    if spec.image_size is not None and spec.image_size != size:
        w, h = spec.image_size
        raise CheckpointError(
            f"depth teacher {spec.checkpoint} saw {w}x{h} images, this scene renders {size[0]}x{size[1]}"
            f" (use env.image.width={w} env.image.height={h})"
        )
    if spec.depth_range is not None and tuple(spec.depth_range) != tuple(env_cfg.depth_range):
        raise CheckpointError(
            f"depth teacher {spec.checkpoint} saw depth range {list(spec.depth_range)}, this scene uses"
            f" {list(env_cfg.depth_range)}"
        )


def _optional_yaml(path: str) -> dict:
    return load_run_yaml(path) if os.path.isfile(path) else {}
