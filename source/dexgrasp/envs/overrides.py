"""Overrides that name a configuration field (``env.a.b=1``, ``agent.c=2``) must name one that exists.

Isaac Lab applies such an override by setting the attribute, so a misspelt top-level name adds a field nobody
reads and the run trains silently with the default, while a misspelt nested name fails deep inside with a
traceback. :func:`check_override_fields` walks each path on the configurations the task would get without those
overrides (presets applied) and refuses an unknown name with one line. ``+key=value`` (explicitly adding a key)
is left to Isaac Lab.
"""

from __future__ import annotations

from collections.abc import Mapping


def _field_path(override: str) -> str | None:
    """The dotted path an ``env.``/``agent.`` override sets or deletes, else None."""
    if override.startswith("+") or "=" not in override and not override.startswith("~"):
        return None
    key = override.lstrip("~").split("=", 1)[0]
    return key if key.startswith(("env.", "agent.")) else None


def check_override_fields(task: str, agent_entry_point: str, overrides: list[str], play: bool = False) -> None:
    """Raise ValueError naming the first override whose path is not a field of the env or agent configuration."""
    unknown = unknown_fields(task, agent_entry_point, overrides, play)
    if unknown:
        raise ValueError(unknown[0][1])


def unknown_fields(task: str, agent_entry_point: str, overrides: list[str], play: bool = False) -> list[tuple]:
    """(override, why) for each override whose path is not a field of the env or agent configuration."""
    named = [(o, path) for o in overrides if (path := _field_path(o)) is not None]
    if not named:
        return []
    from isaaclab_tasks.utils import resolve_task_config

    others = [o for o in overrides if _field_path(o) is None]  # presets change which fields exist
    env_cfg, agent_cfg = resolve_task_config(task, agent_entry_point, play_mode=play, overrides=others)
    configs = {"env": env_cfg, "agent": agent_cfg}
    unknown = []
    for override, path in named:
        section, *names = path.split(".")
        node = configs[section]
        for depth, name in enumerate(names):
            found = name in node if isinstance(node, Mapping) else hasattr(node, name)
            if not found:
                where = ".".join([section, *names[:depth]])
                why = f"override {override} names no field of the configuration: {where} has no '{name}'"
                unknown.append((override, why))
                break
            node = node[name] if isinstance(node, Mapping) else getattr(node, name)
    return unknown


INTERFACE = ("env.observations.", "env.image.", "env.actions.")
"""Overrides of what a policy observes and how it acts: a checkpoint cannot be rebuilt without them."""


def _key(override: str) -> str:
    return override.lstrip("~+").split("=", 1)[0]


def _preset_names(overrides: list[str]) -> list[str]:
    return [name.strip() for o in overrides if o.startswith("presets=") for name in o[8:].split(",") if name.strip()]


def _preset_paths(task: str, agent_entry_point: str) -> dict[str, set[str]]:
    """Preset name -> the configuration paths it selects an alternative for (env and agent)."""
    from isaaclab_tasks.utils.hydra import collect_presets
    from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

    paths: dict[str, set[str]] = {}
    for section, entry in (("env", "env_cfg_entry_point"), ("agent", agent_entry_point)):
        cfg = load_cfg_from_registry(task, entry)
        if isinstance(cfg, Mapping):  # a dict configuration (skrl's) has no presets
            continue
        for path, fields in collect_presets(cfg).items():
            for name in fields:
                paths.setdefault(name, set()).add(f"{section}.{path}")
    return paths


def with_trained_overrides(
    task: str, agent_entry_point: str, recorded: list[str], given: list[str], resume: bool = False
) -> tuple[list[str], list[str]]:
    """The overrides to rebuild a checkpoint's run with, and those of them taken from the checkpoint.

    ``recorded``: the overrides the checkpoint's run was given (its metadata ``overrides``). Resuming takes all of
    them; playing, recording, evaluating or teaching takes its presets and the overrides of what the policy
    observes and does (:data:`INTERFACE`), not the episodes, rewards or randomisation it trained in. Whatever
    ``given`` sets wins: an override of the same field, a preset of the same choice (``presets=res64`` replaces a
    recorded ``res32``, not a recorded ``mlp``).
    """
    import dexgrasp.tasks  # noqa: F401  (registers the tasks)

    presets = _preset_names(given)
    taken_keys = {_key(o) for o in given if not o.startswith("presets=") and "=" in o}
    taken: list[str] = []
    recorded_presets = _preset_names(recorded)
    if recorded_presets:
        paths = _preset_paths(task, agent_entry_point)
        chosen = set().union(*(paths.get(name, set()) for name in presets))
        taken_presets = [
            n
            for n in recorded_presets
            if n not in presets and not paths.get(n, set()) & chosen and (resume or n in paths)
        ]
        if taken_presets:
            taken.append("presets=" + ",".join(taken_presets))
            presets = taken_presets + presets
    taken += [
        o
        for o in recorded
        if not o.startswith("presets=")
        and _key(o) not in taken_keys
        and _key(o).startswith(("env.", "agent."))
        and (resume or _key(o).startswith(INTERFACE))
    ]
    if not resume:  # a student's run may name fields of its distillation scene that the task's scene lacks
        absent = {o for o, _ in unknown_fields(task, agent_entry_point, [*taken, *given], play=True)}
        taken = [o for o in taken if o not in absent]
    merged = [o for o in taken if not o.startswith("presets=")] + [o for o in given if not o.startswith("presets=")]
    if presets:
        merged.insert(0, "presets=" + ",".join(presets))
    return merged, taken


def checkpoint_overrides(task: str, library: str, meta: dict, given: list[str], resume: bool = False) -> list[str]:
    """``given`` with what the checkpoint of ``meta`` needs from its run's overrides (:func:`with_trained_overrides`),
    and a line that says which were taken."""
    from .factory import AGENT_ENTRY

    merged, taken = with_trained_overrides(
        task, AGENT_ENTRY[library], list(meta.get("overrides") or []), list(given), resume
    )
    if taken:
        print(f"[dexgrasp] as the checkpoint was trained: {' '.join(taken)}", flush=True)
    return merged
