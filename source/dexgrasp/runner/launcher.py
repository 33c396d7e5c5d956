"""Start a disaggregated run on one node, watch it, and stop all of it when any part fails.

:func:`run_disaggregated` is the entry point. Outside torchrun it is a supervisor: it spawns one process per rank
of the layout (the learner too) and takes part in no computation itself.

Processes are started with ``subprocess`` (``sys.executable`` running ``process.main``) rather than a
multiprocessing spawn context: spawn re-imports the launching script in every child, and Isaac Lab scripts start
the simulator at import time. The factories are therefore pickled by reference and must live in an importable
module (not in ``__main__``); the children get the launcher's ``sys.path``. Each child gets

- ``CUDA_VISIBLE_DEVICES`` set to its one GPU (it then runs on its own ``cuda:0``) or to "" for "cpu", as Isaac
  Lab camera scenes need;
- ``MASTER_ADDR``/``MASTER_PORT`` (a free local port) for the process group, and no ``WORLD_SIZE``, ``RANK`` or
  ``LOCAL_RANK``: RSL-RL would otherwise start its own NCCL group in the learner;
- its own session, so a Ctrl-C in the terminal reaches only the launcher, which then stops the run in order.

Stopping (a child exited non-zero, Ctrl-C, SIGTERM): the launcher names the cause, sends the learner SIGTERM and
gives it ``shutdown_grace`` seconds to run its failure callbacks (checkpoint) and exit, then terminates and kills
what is left (whole process groups, so helpers a simulator started go too). A simulation process that hangs
without dying is caught by the learner's ``worker_timeout``; the learner then exits non-zero and the same path
follows. After a successful run, simulation processes get ``close_timeout`` seconds to close and exit; one that
hangs in ``close()`` is then killed and the run still returns 0, and one that fails there (it had received the
learner's CLOSE, so training ended and was saved) is reported as a warning, not as a failure of the run.

Under torchrun (``RANK`` and ``WORLD_SIZE`` set), each process plays the role of its rank in the layout (ranks
``0..L-1`` learners, the rest simulation processes), after starting itself again with its ``CUDA_VISIBLE_DEVICES``
set (see :func:`_run_as_torchrun_rank`); torchrun does the watching and stopping.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import torch

from .layout import Layout
from .process import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_PEER_LOST, RunSpec, ended_marker, finish, log, run_role
from .spec import ObsKey

DISTRIBUTED_VARS = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK")
"""Variables RSL-RL (and Isaac Lab's AppLauncher) read to enter their own multi-GPU mode."""

RANK_DEVICE_VAR = "DEXGRASP_RANK_DEVICE"
"""Set when a torchrun rank started itself again with its device's ``CUDA_VISIBLE_DEVICES`` (the device's name)."""

_CHILD_MAIN = "import sys; from dexgrasp.runner.process import main; main(sys.argv[1:])"


def run_disaggregated(
    layout: Layout,
    env_factory: Callable,
    env_factory_kwargs: dict | None,
    learner_fn: Callable,
    learner_kwargs: dict | None = None,
    worker_timeout: float = 60.0,
    *,
    startup_timeout: float = 600.0,
    learner_timeout: float = 1800.0,
    shutdown_grace: float | None = None,
    close_timeout: float = 60.0,
    seed: int = 0,
    synchronous: bool = False,
    wire_dtypes: dict[ObsKey, torch.dtype] | None = None,
    learner_dtypes: dict[ObsKey, torch.dtype] | None = None,
) -> int:
    """Run ``learner_fn`` on each learner, fed by its simulation processes; return the exit code (0 on success).

    Args:
        layout: Devices, environment counts, and which learner each simulation process feeds.
        env_factory: ``env_factory(**env_factory_kwargs, rank=i, device=..., num_envs=..., seed=...)`` builds the
            RSL-RL VecEnv of simulation process ``i`` (0-based among simulation processes) on ``device`` as that
            process sees it ("cpu" or "cuda:0").
        env_factory_kwargs: Extra keyword arguments for ``env_factory`` (picklable).
        learner_fn: ``learner_fn(env, **learner_kwargs)`` runs in the learner process with the
            :class:`~dexgrasp.runner.remote_env.DisaggregatedVecEnv`; it builds the runner, learns and saves.
            Register a checkpoint callback with ``env.on_failure``.
        learner_kwargs: Keyword arguments for ``learner_fn`` (picklable).
        worker_timeout: Seconds the learner waits for one step of one simulation process.
        startup_timeout: Seconds for joining the process group and for the environments to be built.
        learner_timeout: Seconds a simulation process waits for its next actions (spans a whole PPO update).
        shutdown_grace: Seconds the learner gets to save and exit once the run is being stopped
            (default: ``worker_timeout + 60``).
        close_timeout: Seconds the simulation processes get to close their environments and exit once the learners
            finished; the launcher then ends them (a simulator can hang in ``close()``) and the run still succeeds.
        seed: Simulation process ``i`` gets ``seed + i``.
        synchronous: Step all simulation processes together (plain ``OnPolicyRunner`` rollout) for debugging.
        wire_dtypes: Per observation group, the dtype it travels in (default: see ``spec.default_wire_dtype``).
        learner_dtypes: Per observation group, the dtype the learner stores (default: the environment's).

    Returns:
        0 when ``learner_fn`` returned and every process closed cleanly; 1 when a process failed (the launcher
        names it), 130 when the run was interrupted (SIGINT/SIGTERM to the launcher).

    Raises:
        ValueError: The run cannot start (a factory defined in ``__main__``, world size
            mismatch under torchrun).
    """
    for name, fn in (("env_factory", env_factory), ("learner_fn", learner_fn)):
        if getattr(fn, "__module__", None) == "__main__":
            raise ValueError(f"{name} {fn.__qualname__} is defined in __main__; move it to an importable module")
    run = RunSpec(
        layout=layout,
        env_factory=env_factory,
        env_factory_kwargs=dict(env_factory_kwargs or {}),
        learner_fn=learner_fn,
        learner_kwargs=dict(learner_kwargs or {}),
        worker_timeout=worker_timeout,
        startup_timeout=startup_timeout,
        learner_timeout=learner_timeout,
        seed=seed,
        synchronous=synchronous,
        wire_dtypes=wire_dtypes,
        learner_dtypes=learner_dtypes,
    )
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        return _run_as_torchrun_rank(run)
    grace = worker_timeout + 60.0 if shutdown_grace is None else shutdown_grace
    return _Supervisor(run, grace, close_timeout).run()


def _visible_gpu(device: str) -> str:
    """CUDA_VISIBLE_DEVICES value that exposes exactly ``device`` (as the launching process numbers GPUs)."""
    if device == "cpu":
        return ""
    index = int(device.split(":")[1])
    inherited = os.environ.get("CUDA_VISIBLE_DEVICES")
    return inherited.split(",")[index].strip() if inherited else str(index)


def _run_as_torchrun_rank(run: RunSpec) -> int:
    """Play this torchrun rank's role in place (torchrun set RANK/WORLD_SIZE/MASTER_*).

    The rank must see only its own GPU (or none, for "cpu"), as a spawned process does. ``CUDA_VISIBLE_DEVICES``
    only applies if it is set before anything in the process initialised CUDA (torch, Warp, the simulator), which
    cannot be checked for every library: so the process starts itself again (``exec``, same process id, so torchrun
    still watches it) with the variable set, and only then plays its role.
    """
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if world_size != run.layout.world_size:
        raise ValueError(f"torchrun started {world_size} processes, the layout needs {run.layout.world_size}")
    device = run.layout.device_of(rank)
    if os.environ.get(RANK_DEVICE_VAR) != device:
        env = dict(os.environ, CUDA_VISIBLE_DEVICES=_visible_gpu(device), **{RANK_DEVICE_VAR: device})
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    for var in DISTRIBUTED_VARS:
        os.environ.pop(var, None)
    code = run_role(run, rank, "cuda:0" if device.startswith("cuda") else "cpu")
    finish(code)
    return code


def free_port() -> int:
    """A TCP port free on this machine now (for a rendezvous started right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _describe_exit(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    if code == EXIT_PEER_LOST:
        return "lost its learner"
    return f"exited with code {code}"


class _Supervisor:
    """Spawns the processes of one run, watches them, and stops them all on the first failure."""

    def __init__(self, run: RunSpec, grace: float, close_timeout: float) -> None:
        self.run_spec = run
        self.layout = run.layout
        self.grace = grace
        self.close_timeout = close_timeout
        self.procs: dict[int, subprocess.Popen] = {}
        self.run_dir = ""
        """The run's temporary folder: the payload, and the markers of simulation processes whose training ended."""

    def run(self) -> int:
        payload = {"sys_path": list(sys.path), "run": pickle.dumps(self.run_spec)}
        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            with tempfile.TemporaryDirectory(prefix="dexgrasp-run-") as tmp:
                path = os.path.join(tmp, "payload.pkl")
                with open(path, "wb") as f:
                    pickle.dump(payload, f)
                log(self.layout.describe())
                self.run_dir = tmp
                try:
                    self._spawn(path)
                    return self._watch()
                except KeyboardInterrupt:
                    log("interrupted: stopping every process")
                    self._stop()
                    return EXIT_INTERRUPTED
                finally:
                    self._kill_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _name(self, rank: int) -> str:
        kind, index = self.layout.role(rank)
        what = "learner" if kind == "learner" else "simulation process"
        return f"{what} {index} (rank {rank}, device {self.layout.device_of(rank)})"

    def _spawn(self, payload_path: str) -> None:
        base = {k: v for k, v in os.environ.items() if k not in DISTRIBUTED_VARS}
        base.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), DEXGRASP_LAUNCHER_PID=str(os.getpid()))
        for rank in range(self.layout.world_size):
            env = dict(base, CUDA_VISIBLE_DEVICES=_visible_gpu(self.layout.device_of(rank)))
            self.procs[rank] = subprocess.Popen(
                [sys.executable, "-c", _CHILD_MAIN, payload_path, str(rank)],
                env=env,
                start_new_session=True,
            )

    def _watch(self) -> int:
        """Wait until every process exited 0 (return 0) or one failed (stop the rest, return non-zero).

        One thread per child reports its exit, so exits are seen in the order they happen: the first failure is
        the cause, the ones it brings about (peers losing their connection) come after it. Once every learner
        exited 0 the training is over and saved: the processes still running get ``close_timeout`` seconds, then
        they are ended (by the caller) and the run counts as a success.
        """
        exits: queue.Queue[tuple[int, int]] = queue.Queue()
        for rank, proc in self.procs.items():
            threading.Thread(target=lambda r=rank, p=proc: exits.put((r, p.wait())), daemon=True).start()
        learners = {self.layout.rank_of_learner(i) for i in range(self.layout.num_learners)}
        exited: set[int] = set()
        deadline = None
        while len(exited) < len(self.procs):
            try:
                rank, code = exits.get(timeout=0.5)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    late = ", ".join(self._name(r) for r in sorted(set(self.procs) - exited))
                    log(f"{late} did not exit within {self.close_timeout:.0f} s after training ended: ending it")
                    return 0
                continue
            exited.add(rank)
            if code != 0 and os.path.exists(ended_marker(self.run_dir, rank)):
                log(f"warning: {self._name(rank)} {_describe_exit(code)} while closing after training ended")
            elif code != 0:
                log(f"{self._name(rank)} {_describe_exit(code)}: stopping every process")
                self._stop()
                return EXIT_FAILED
            if deadline is None and learners <= exited:
                deadline = time.monotonic() + self.close_timeout
        return 0

    def _stop(self) -> None:
        """Let the learner save and exit, then terminate and kill the rest."""
        signal.signal(signal.SIGINT, self._escalate)
        learner = self.procs.get(self.layout.rank_of_learner(0))
        if learner is not None and learner.poll() is None:
            self._signal(learner, signal.SIGTERM)
            try:
                learner.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                log(f"{self._name(0)} did not exit within {self.grace:.0f} s")
        for proc in self.procs.values():
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                pass

    def _escalate(self, _signum, _frame) -> None:
        """A second Ctrl-C while stopping: kill everything now."""
        log("interrupted again: killing every process")
        self._kill_all()

    def _kill_all(self) -> None:
        for proc in self.procs.values():
            self._signal(proc, signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait()

    @staticmethod
    def _signal(proc: subprocess.Popen, sig: int) -> None:
        """Signal a child's whole process group (it leads its own session)."""
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
