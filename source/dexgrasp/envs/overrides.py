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
    named = [(o, path) for o in overrides if (path := _field_path(o)) is not None]
    if not named:
        return
    from isaaclab_tasks.utils import resolve_task_config

    others = [o for o in overrides if _field_path(o) is None]  # presets change which fields exist
    env_cfg, agent_cfg = resolve_task_config(task, agent_entry_point, play_mode=play, overrides=others)
    configs = {"env": env_cfg, "agent": agent_cfg}
    for override, path in named:
        section, *names = path.split(".")
        node = configs[section]
        for depth, name in enumerate(names):
            found = name in node if isinstance(node, Mapping) else hasattr(node, name)
            if not found:
                where = ".".join([section, *names[:depth]])
                raise ValueError(f"override {override} names no field of the configuration: {where} has no '{name}'")
            node = node[name] if isinstance(node, Mapping) else getattr(node, name)
