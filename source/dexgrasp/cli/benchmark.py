"""``scripts/benchmark.py``: memory, capacity, throughput and traffic of the training topologies (the work is in
:mod:`dexgrasp.metrics.benchmark`).

Usage: ``python scripts/benchmark.py --task DexGrasp-KukaAllegro-Depth-v0 --preset res32 --env_counts 2,4
--topologies single,disaggregated --gpus 4 --gpu_mem 80 --out DIR [overrides]``. Arguments this tool does not
know are Isaac Lab overrides, passed to every environment and training run (``agent.num_steps_per_env=8``).
``--learner_only`` measures only RSL-RL's learner (no simulator starts): ``--spec DIR/spec.json`` (written by a full
run) feeds it synthetic observations of the recorded shapes and needs only PyTorch and RSL-RL; ``--dataset FILE``
replays the observations of an HDF5 dataset written by ``scripts/record.py``, with the agent configuration of the
dataset's task (and the overrides).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def positive_ints(text: str) -> list[int]:
    """argparse type of a comma-separated list of positive integers."""
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 2,4, got {text!r}")
    return values


def _default_devices() -> str:
    import torch

    count = torch.cuda.device_count()
    return ",".join(f"cuda:{i}" for i in range(count)) if count else "cpu,cpu"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="DexGrasp-KukaAllegro-Depth-v0")
    p.add_argument("--preset", default="res32", help="image size preset: res32, res64, res160x120, res320x240")
    p.add_argument("--env_counts", type=positive_ints, default=[2, 4], help="env counts for the memory fits")
    p.add_argument("--train_envs", type=int, default=None, help="envs of the throughput runs (default: largest count)")
    p.add_argument("--topologies", default="single,disaggregated,data_parallel")
    p.add_argument("--devices", default=None, help="devices the topologies share (default: every GPU, else cpu,cpu)")
    p.add_argument("--gpus", type=int, default=4, help="G of the capacity prediction")
    p.add_argument("--gpu_mem", type=float, default=80.0, help="C of the capacity prediction, GiB")
    p.add_argument("--iterations", type=int, default=2, help="learning iterations per training run and learner probe")
    p.add_argument("--sim_steps", type=int, default=20, help="zero-action steps of the simulation-alone measurement")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--check_sim_capacity",
        action="store_true",
        help="CUDA: also double the simulation's env count until the device runs out of memory (slow)",
    )
    p.add_argument("--capacity_limit", type=int, default=None, help="CUDA: largest env count the capacity checks try")
    p.add_argument(
        "--capacity_time_s", type=float, default=None, help="CUDA: seconds each capacity check may take in all"
    )
    p.add_argument("--learner_only", action="store_true", help="learner memory and update time only (no simulator)")
    p.add_argument("--spec", default=None, help="--learner_only: spec.json written by a full benchmark run")
    p.add_argument("--dataset", default=None, help="--learner_only: replay the observations of this HDF5 dataset")
    p.add_argument(
        "--dataset_steps", type=int, default=1024, help="--dataset: recorded steps loaded (whole episodes, on the host)"
    )
    return p


def parse(argv: list[str]):
    """The checked settings of a command line (argparse exits with status 2 on a bad one)."""
    from dexgrasp.metrics.benchmark import BenchmarkSettings
    from dexgrasp.topologies import TOPOLOGIES
    from dexgrasp.topologies.devices import check_device, device_list

    parser = build_parser()
    opts, overrides = parser.parse_known_args(argv)
    unknown = [a for a in overrides if a.startswith("--")]
    if unknown:
        parser.error(f"unknown option {unknown[0]}")
    if opts.learner_only and bool(opts.spec) == bool(opts.dataset):
        parser.error("--learner_only needs one of --spec (the spec.json of a full run) or --dataset (an HDF5 dataset)")
    if not opts.learner_only and (opts.spec or opts.dataset):
        parser.error("--spec and --dataset go with --learner_only")
    for name in ("spec", "dataset"):
        path = getattr(opts, name)
        if path and not os.path.isfile(path):
            parser.error(f"--{name} {path}: no such file")
    opts.overrides = [f"presets={opts.preset}", *overrides]
    opts.topologies = [t.strip() for t in opts.topologies.split(",") if t.strip()]
    unknown_topologies = [t for t in opts.topologies if t not in TOPOLOGIES]
    if unknown_topologies:
        parser.error(f"unknown topology {unknown_topologies[0]!r}; choose from {', '.join(TOPOLOGIES)}")
    opts.devices = device_list(opts.devices or _default_devices())
    if not opts.devices:
        parser.error("--devices is empty")
    for device in opts.devices:
        try:
            check_device(device)
        except ValueError as exc:
            parser.error(str(exc))
    if not opts.learner_only and "disaggregated" in opts.topologies and len(opts.devices) < 2:
        parser.error("disaggregated needs two devices in --devices (simulation, then learner)")
    opts.train_envs = opts.train_envs or max(opts.env_counts)
    if not opts.learner_only and len(set(opts.env_counts)) < 2:
        parser.error("--env_counts needs two distinct counts to fit fixed and per-env memory")
    return BenchmarkSettings(**{name: getattr(opts, name) for name in BenchmarkSettings.__dataclass_fields__})


def main(argv: list[str]) -> int:
    from dexgrasp.datasets import DatasetError
    from dexgrasp.metrics.benchmark import run_benchmark
    from dexgrasp.metrics.report import format_table, write

    opts = parse(argv)
    try:
        results = run_benchmark(opts)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = {"command": " ".join(["python scripts/benchmark.py", *argv]), **results}
    table = write(results, opts.out)
    if not opts.spec:
        with open(os.path.join(opts.out, "spec.json"), "w") as f:
            json.dump(results["spec"], f, indent=2)
    print(f"wrote {opts.out}/results.json, figures.csv, memory.csv and plots")
    print(format_table(table))
    return 0


def cli() -> int:
    return main(sys.argv[1:])
