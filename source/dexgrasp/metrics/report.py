"""Benchmark results as files: ``results.json``, ``figures.csv``, ``memory.csv``, PNG plots, and a printed table."""

from __future__ import annotations

import csv
import json
import os

from .capacity import GIB

MIB = 1024**2


def figures(results: dict) -> list[tuple[str, float, str]]:
    """The headline figures as (name, value, unit) rows."""
    rows = []
    if "model" in results:
        m = results["model"]
        rows += [
            ("F_sim", m["f_sim"] / MIB, "MiB"),
            ("S", m["s"] / MIB, "MiB/env"),
            ("M", m["m"] / MIB, "MiB"),
            ("R", m["r"] / MIB, "MiB/env"),
        ]
    if "learner_model" in results:
        m = results["learner_model"]
        rows += [("M", m["m"] / MIB, "MiB"), ("R", m["r"] / MIB, "MiB/env")]
    if "capacity" in results:
        c = results["capacity"]
        rows += [
            ("capacity_data_parallel", c["data_parallel"]["exact"], "envs"),
            ("capacity_disaggregated_best", c["disaggregated_best"]["exact"], "envs"),
            ("best_split_sim_devices", c["disaggregated_best"]["sim_devices"], "devices"),
            ("capacity_disaggregated_one_learner", c["disaggregated_one_learner"]["exact"], "envs"),
            ("capacity_ratio_best", c["ratio_best"], "x"),
            ("capacity_ratio_one_learner", c["ratio_one_learner"], "x"),
        ]
    for name, t in results.get("throughput", {}).items():
        rows.append((f"throughput_{name}", t["env_steps_per_s"], "env-steps/s"))
    if "pipeline_efficiency" in results:
        rows.append(("pipeline_efficiency", results["pipeline_efficiency"], "x"))
    waits = results.get("throughput", {}).get("disaggregated", {}).get("waits_per_step", {})
    rows += [(f"{name}_per_step", value, "s") for name, value in waits.items()]
    rows += [(name, value, "x") for name, value in results.get("waiting", {}).items()]
    if "traffic" in results:
        t = results["traffic"]
        rows += [
            ("traffic_wire", t["wire_bytes_per_env_step"], "B/env-step"),
            ("traffic_compact", t["compact_bytes_per_env_step"], "B/env-step"),
            ("traffic_wire_over_compact", t["wire_over_compact"], "x"),
        ]
    for r in results.get("learner", []):
        rows.append((f"learner_update_s_{r['num_envs']}envs", r["update_s"], "s"))
    for part, value in results.get("capacity_on_device_predicted", {}).items():
        rows.append((f"{part}_capacity_predicted", value, "envs"))
    for part in ("learner", "sim"):
        if results.get(f"{part}_capacity_checked") is not None:
            rows.append((f"{part}_capacity_checked", results[f"{part}_capacity_checked"], "envs"))
    return rows


def memory_rows(results: dict) -> list[dict]:
    """One row per (part, env count) measurement, in bytes."""
    rows = []
    for r in results.get("simulation", []):
        for key in ("rss_bytes", "obs_bytes", "camera_bytes", "cuda_used_bytes"):
            if r.get(key) is not None:
                rows.append({"part": "simulation", "measure": key, "num_envs": r["num_envs"], "bytes": r[key]})
    for r in results.get("learner", []):
        for key in ("storage_bytes", "model_bytes", "optimizer_bytes", "rss_bytes", "cuda_max_allocated_bytes"):
            if r.get(key) is not None:
                rows.append({"part": "learner", "measure": key, "num_envs": r["num_envs"], "bytes": r[key]})
    return rows


def write(results: dict, out: str) -> list[tuple[str, float, str]]:
    """Write every output file into ``out``; returns the figures table."""
    os.makedirs(out, exist_ok=True)
    table = figures(results)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({**results, "figures": {n: {"value": v, "unit": u} for n, v, u in table}}, f, indent=2, default=str)
    with open(os.path.join(out, "figures.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("name", "value", "unit"), *table])
    mem = memory_rows(results)
    with open(os.path.join(out, "memory.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["part", "measure", "num_envs", "bytes"])
        writer.writeheader()
        writer.writerows(mem)
    _plots(results, mem, out)
    return table


def _plots(results: dict, mem: list[dict], out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for part, measure in sorted({(r["part"], r["measure"]) for r in mem}):
        pts = sorted((r["num_envs"], r["bytes"] / MIB) for r in mem if (r["part"], r["measure"]) == (part, measure))
        ax.plot(*zip(*pts), marker="o", label=f"{part}: {measure}")
    ax.set(xlabel="environments", ylabel="MiB", title="memory per part vs env count")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "memory.png"), dpi=110)
    plt.close(fig)
    if "capacity" in results:
        c = results["capacity"]
        names = [
            "data parallel",
            f"disagg. {c['disaggregated_one_learner']['sim_devices']}+1",
            f"disagg. best {c['disaggregated_best']['sim_devices']}+{c['disaggregated_best']['learners']}",
        ]
        values = [
            c["data_parallel"]["exact"],
            c["disaggregated_one_learner"]["exact"],
            c["disaggregated_best"]["exact"],
        ]
        _bars(
            plt,
            names,
            values,
            "environments",
            f"capacity, {c['gpus']} devices x {c['gpu_mem_bytes'] / GIB:g} GiB",
            os.path.join(out, "capacity.png"),
        )
    if results.get("throughput"):
        t = results["throughput"]
        _bars(
            plt,
            list(t),
            [v["env_steps_per_s"] for v in t.values()],
            "env-steps/s",
            "throughput",
            os.path.join(out, "throughput.png"),
        )


def _bars(plt, names, values, ylabel, title, path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(names, values)
    ax.set(ylabel=ylabel, title=title)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(table: list[tuple[str, float, str]]) -> str:
    width = max(len(n) for n, _, _ in table)
    return "\n".join(f"{n:<{width}}  {v:>14.4g}  {u}" for n, v, u in table)
