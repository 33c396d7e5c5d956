"""The GPU kit: everything an offline GPU node with only PyTorch needs to run :mod:`.gpu_checks` (``make gpu-kit``).

``python -m dexgrasp.metrics.gpu_kit build gpu_kit`` writes, at most :data:`MAX_BYTES`:

- ``wheels/``: one wheel per distribution the learner path imports that a PyTorch node lacks. The set is found by
  importing the checks' modules (and drawing a PNG) in a fresh interpreter and mapping every imported module to
  its distribution, minus PyTorch and its own requirements; each wheel is packed from the files installed in this
  environment (their ``RECORD``), so the kit holds exactly the tested versions and the build needs no network;
- ``source/dexgrasp``, ``tests/toy_vec_env.py``, ``scripts/gpu_checks.py`` and the spec files, at the paths they
  have in the repository (the checks find them relative to the package); the depth spec with the training
  settings of the depth task's agent configuration (``gpu_checks.task_training``), which the node cannot read;
- ``manifest.json`` (the Python and PyTorch versions the kit was built with, the wheels) and ``run.sh``.

``check KIT`` (run by ``run.sh`` before installing anything) refuses, in one line, a node whose Python or PyTorch
differs from the kit's in major.minor version, or of another processor architecture. It needs the standard
library only.

``student-spec`` writes the stereo student's learner spec (needs Isaac Lab): the groups the real
``StereoRGB-FromDepth`` scene reports at 160x120, and the learner ``scripts/distill.py`` builds for it with the
depth policy of ``docs/figures/benchmark_160x120/spec.json`` as the teacher.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

MAX_BYTES = 60 * 1024**2
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
KIT_FILES = [
    "tests/toy_vec_env.py",
    "scripts/gpu_checks.py",
    "docs/figures/benchmark_160x120/spec.json",
    "docs/figures/gpu_kit/stereo_student_160x120_spec.json",
]
"""Files besides the package source that the checks read, relative to the repository root."""

ROOTS = ["rsl-rl-lib", "tensordict", "numpy", "h5py", "psutil", "pyyaml", "gymnasium", "matplotlib"]
"""Distributions the learner path imports directly (the package's simulation-free modules, RSL-RL, the report's
plots). The kit holds those of them and of their requirements that the learner path imports, so optional imports
of other libraries (tensorboard's cloud storage clients, say) stay out."""

LEARNER_PATH = """
import sys
sys.path.insert(0, sys.argv[1])
import dexgrasp.metrics.gpu_checks, dexgrasp.metrics.probes, dexgrasp.metrics.learner_inputs
import dexgrasp.models, dexgrasp.learners.distillation.algorithm, dexgrasp.learners.distillation.runner
import dexgrasp.runner.process, dexgrasp.runner.server
import rsl_rl.runners, toy_vec_env
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
fig.savefig(sys.argv[2])
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""
"""Imports what the checks and their child processes import, and draws a PNG as the report does; prints the
top-level modules loaded."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: md.Distribution) -> list[str]:
    """Names of a distribution's unconditional requirements and those whose markers hold here (no extras)."""
    from packaging.requirements import Requirement

    names = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(_normalize(req.name))
    return names


def _closure(names: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = [_normalize(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += _requirements(md.distribution(name))
        except md.PackageNotFoundError:
            pass
    return seen


def learner_distributions(work: str) -> list[str]:
    """Distributions the learner path imports that a PyTorch node lacks: imported modules' distributions within
    the requirements of :data:`ROOTS`, less PyTorch and its own requirements."""
    png = os.path.join(work, "probe.png")
    proc = subprocess.run(
        [sys.executable, "-c", LEARNER_PATH, os.path.join(ROOT, "tests"), png],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"importing the learner path failed:\n{proc.stderr[-3000:]}")
    modules = proc.stdout.split()
    provided = md.packages_distributions()
    imported = {_normalize(d) for m in modules for d in provided.get(m, [])}
    return sorted((imported & _closure(ROOTS)) - _closure(["torch"]))


def wheel_from_installed(name: str, out_dir: str) -> str:
    """Pack an installed distribution back into a wheel from its ``RECORD``; returns the wheel's path.

    Files outside the install folder (console scripts) and bytecode caches are left out; tags come from the
    installed ``WHEEL`` file, so pip accepts the wheel exactly where the original installed.
    """
    dist = md.distribution(name)
    files = [f for f in dist.files or [] if not str(f).startswith("..") and "__pycache__" not in str(f)]
    info = next(str(f).split("/")[0] for f in files if str(f).split("/")[0].endswith(".dist-info"))
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")]
    if not tags:
        raise RuntimeError(f"{name}: the installed WHEEL file names no tag")
    parts = [sorted({t.split("-")[i] for t in tags}) for i in range(3)]
    tag = "-".join(".".join(p) for p in parts)
    base = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    path = os.path.join(out_dir, f"{base}-{dist.version}-{tag}.whl")
    skip = {f"{info}/RECORD", f"{info}/INSTALLER", f"{info}/REQUESTED", f"{info}/direct_url.json"}
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for f in files:
            rel = str(f)
            if rel in skip or not os.path.isfile(f.locate()):
                continue
            data = f.read_binary()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            whl.writestr(rel, data)
            record.append(f"{rel},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def _copy_source(kit: str) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(os.path.join(ROOT, "source", "dexgrasp"), os.path.join(kit, "source", "dexgrasp"), ignore=ignore)
    for rel in KIT_FILES:
        os.makedirs(os.path.dirname(os.path.join(kit, rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(kit, rel))
    shutil.copy2(os.path.join(ROOT, "scripts", "gpu_kit_run.sh"), os.path.join(kit, "run.sh"))
    # the node has no Isaac Lab to read the depth task's agent configuration: its training settings go in the spec
    from .gpu_checks import task_training, with_training

    depth = os.path.join(kit, KIT_FILES[2])
    with open(depth) as f:
        spec = with_training(json.load(f), task_training())
    with open(depth, "w") as f:
        json.dump(spec, f, indent=2)


def _size(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def build(kit: str) -> dict:
    """Write the kit into ``kit`` (replacing an earlier kit there); returns its manifest."""
    import torch

    if os.path.exists(kit):
        if not os.path.isfile(os.path.join(kit, "manifest.json")):
            raise RuntimeError(f"{kit} exists and is not a kit: remove it or choose another folder")
        shutil.rmtree(kit)
    wheels = os.path.join(kit, "wheels")
    os.makedirs(wheels)
    _copy_source(kit)
    names = learner_distributions(kit)
    os.remove(os.path.join(kit, "probe.png"))
    # zlib releases the GIL: the wheels compress in parallel
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        built = [os.path.basename(p) for p in pool.map(lambda n: wheel_from_installed(n, wheels), names)]
    manifest = {
        "python": "{}.{}".format(*sys.version_info[:2]),
        "torch": ".".join(torch.__version__.split("+")[0].split(".")[:2]),
        "torch_built_with": torch.__version__,
        "machine": platform.machine(),
        "wheels": built,
    }
    with open(os.path.join(kit, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    size = _size(kit)
    if size > MAX_BYTES:
        raise RuntimeError(f"the kit takes {size / 1024**2:.1f} MiB, more than {MAX_BYTES / 1024**2:.0f} MiB")
    manifest["bytes"] = size
    return manifest


def check_node(kit: str) -> str | None:
    """One line when this node cannot use the kit: another Python or PyTorch (major.minor), or another processor
    architecture (the wheels hold compiled code). Reads torch's version without importing it (quick); whether
    the node has CUDA is :func:`.gpu_checks.device_error`'s to say."""
    with open(os.path.join(kit, "manifest.json")) as f:
        manifest = json.load(f)
    python = "{}.{}".format(*sys.version_info[:2])
    try:
        version = ".".join(md.version("torch").split("+")[0].split(".")[:2])
    except md.PackageNotFoundError:
        return f"this python3 (Python {python}) has no torch; the kit was built for torch {manifest['torch']}"
    if (python, version) != (manifest["python"], manifest["torch"]):
        return (
            f"the kit was built for Python {manifest['python']} and torch {manifest['torch']}; this node has "
            f"Python {python} and torch {version}: build the kit again with matching versions"
        )
    if platform.machine() != manifest["machine"]:
        return f"the kit's wheels are for {manifest['machine']}; this node is {platform.machine()}"
    return None


def student_spec(out: str) -> None:
    """Write the stereo student's learner spec (see the module doc; needs Isaac Lab)."""
    from dexgrasp.learners.distillation.config import online_train_cfg
    from dexgrasp.learners.distillation.teacher import PolicySpec
    from dexgrasp.tasks.grasp.distill_tasks import DEPTH, STEREO, VARIANTS

    from .benchmark import run_probe

    variant = VARIANTS[(STEREO, DEPTH)]
    args = {"task": variant.env_id, "overrides": ["presets=res160x120"], "num_envs": 1, "device": "cpu", "steps": 1}
    spec = run_probe("sim", args)["spec"]
    with open(os.path.join(ROOT, KIT_FILES[2])) as f:
        depth = json.load(f)
    teacher = PolicySpec(
        checkpoint=None,
        task=DEPTH,
        obs_groups=depth["agent_cfg"]["obs_groups"]["actor"],
        model_cfg=depth["agent_cfg"]["actor"],
        image_size=None,
        depth_range=None,
        action_terms=None,
    )
    spec["agent_cfg"] = online_train_cfg(spec["agent_cfg"], variant, teacher)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(spec, f, indent=2)


def main(argv: list[str]) -> int:
    usage = "usage: gpu_kit.py build KIT | check KIT | student-spec"
    if not argv or argv[0] not in ("build", "check", "student-spec") or (argv[0] != "student-spec" and len(argv) < 2):
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "check":
        error = check_node(argv[1])
        if error:
            print(f"error: {error}", file=sys.stderr)
        return 2 if error else 0
    if argv[0] == "student-spec":
        student_spec(os.path.join(ROOT, KIT_FILES[3]))
        print(f"wrote {KIT_FILES[3]}")
        return 0
    try:
        manifest = build(argv[1])
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {argv[1]}/ ({manifest['bytes'] / 1024**2:.1f} MiB) for Python {manifest['python']}, "
          f"torch {manifest['torch']}: {len(manifest['wheels'])} wheels")  # fmt: skip
    print(f"on the GPU node: bash {argv[1]}/run.sh OUT_DIR")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
