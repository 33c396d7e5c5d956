"""What runs inside each process of a disaggregated run: join the group, play the role, exit cleanly.

Spawned by the launcher, a process runs :func:`main` with a payload file and its rank; under torchrun
the launcher calls :func:`run_role` in place. Either way:

- The learner runs ``learner_fn(env, **learner_kwargs)`` on a :class:`DisaggregatedVecEnv`, with Python, NumPy
  and torch seeded from the run's seed (plus the learner's index), so runs with one seed repeat. If that raises (a
  simulation process died or stopped answering, SIGTERM/SIGINT from the launcher or torchrun, a bug), the
  callbacks registered with ``env.on_failure`` run (further signals are ignored, so they do not cut a checkpoint
  short), then the process exits non-zero.
- A simulation process serves its environment until the learner says CLOSE. It exits with EXIT_PEER_LOST when
  it loses the learner (a consequence of another failure, which the launcher reports as such), non-zero otherwise.

A failed process leaves with ``os._exit``: its process group may still hold a receive from a dead peer, and
tearing that down can hang. Spawned processes also ask the kernel to signal them when the launcher dies
(SIGTERM for the learner, so it can still save; SIGKILL for simulation processes), so none is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .layout import Layout
from .remote_env import DisaggregatedVecEnv, SimPeer
from .server import serve_environment
from .spec import ObsKey
from .transport import PeerFailure, join_run, leave_run

EXIT_FAILED, EXIT_PEER_LOST, EXIT_INTERRUPTED = 1, 3, 130
"""Exit codes: this process failed; a simulation process lost its learner (a consequence); stopped by a signal."""


class Refused(ValueError):
    """A learner function refuses to run with the run's settings (e.g. it cannot fit its device); its one-line
    message is the whole report, without a traceback."""


class Stopped(BaseException):
    """The process was told to stop (SIGTERM/SIGINT). A BaseException, so ``except Exception`` does not eat it."""


@dataclass
class RunSpec:
    """Everything a process of the run needs; pickled once for spawned processes."""

    layout: Layout
    env_factory: Callable
    env_factory_kwargs: dict
    learner_fn: Callable
    learner_kwargs: dict
    worker_timeout: float
    startup_timeout: float
    learner_timeout: float
    seed: int
    synchronous: bool
    wire_dtypes: dict[ObsKey, torch.dtype] | None = None
    learner_dtypes: dict[ObsKey, torch.dtype] | None = None


def log(message: str) -> None:
    print(f"[dexgrasp.runner] {message}", file=sys.stderr, flush=True)


class StopOnSignal:
    """Turns the first SIGTERM/SIGINT into :class:`Stopped`, but only where stopping leaves consistent state.

    While the gate is open (start-up, and the learner's waits for simulation results) the signal raises at once.
    While it is closed (the learner computing: acting, the PPO update, logging, periodic saves) the signal is
    remembered and raised when the learner next waits (:meth:`waiting`): a stop never lands inside an optimizer
    step, so the checkpoint written on the way out holds parameters and optimizer state of the same iteration.
    Further signals are ignored: they must not cut the failure callbacks (checkpoint) short.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        """Set by the first signal."""
        self.raised = False
        self.open = True
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self)

    def __call__(self, signum, _frame) -> None:
        if self.reason is None:
            self.reason = f"received {signal.Signals(signum).name}"
            if self.open:
                self._raise()

    def _raise(self) -> None:
        self.raised = True
        self.open = False
        raise Stopped(self.reason)

    def check(self) -> None:
        """Raise a signal that came while the gate was closed (a point where stopping leaves consistent state)."""
        if self.reason is not None and not self.raised:
            self._raise()

    @contextlib.contextmanager
    def waiting(self):
        """Open the gate for a blocking wait; raise a signal that came while it was closed."""
        self.check()
        was_open, self.open = self.open, not self.raised
        try:
            yield
        finally:
            self.open = was_open and not self.raised


def run_role(run: RunSpec, rank: int, local_device: str, ended_marker: str | None = None) -> int:
    """Play the role ``rank`` has in ``run.layout``; return the process's exit code.

    ``ended_marker``: a simulation process creates this file once its learner said CLOSE (training ended and
    saved), so the launcher can tell a crash in ``close()`` from a failure of the run.
    """
    kind, index = run.layout.role(rank)
    if kind == "learner":
        return _learner_role(run, rank, index, local_device)
    return _simulation_role(run, rank, index, local_device, ended_marker)


def ended_marker(run_dir: str, rank: int) -> str:
    """The file simulation process ``rank`` creates in the launcher's ``run_dir`` once training ended."""
    return os.path.join(run_dir, f"training-ended-{rank}")


def _join(run: RunSpec, rank: int, local_device: str, peer_timeout: float, peers: list[int]):
    """This rank's place in the run's process group, with pipes to ``peers``: joining waits as long as the start-up
    or as long as this role waits for its peers, whichever is longer."""
    layout = run.layout
    timeout = max(run.startup_timeout, peer_timeout)
    return join_run(layout.backend, rank, layout.world_size, local_device, timeout, _learner_ranks(layout), peers)


def _learner_role(run: RunSpec, rank: int, index: int, local_device: str) -> int:
    layout = run.layout
    name = f"learner {index} (rank {rank}, device {layout.learner_devices[index]})"
    stop = StopOnSignal()
    env = None
    try:
        sims = [layout.rank_of_sim(i) for i in layout.sims_of(index)]
        pipe = _join(run, rank, local_device, run.worker_timeout, sims)
        peers = [SimPeer(i, layout.rank_of_sim(i), layout.sim_devices[i]) for i in layout.sims_of(index)]
        env = DisaggregatedVecEnv(
            pipe,
            peers,
            local_device,
            layout.backend,
            worker_timeout=run.worker_timeout,
            startup_timeout=run.startup_timeout,
            learner_dtypes=run.learner_dtypes,
            synchronous=run.synchronous,
            stop_gate=stop.waiting,
        )
        stop.open = False  # from here on, a stop waits for the learner's next wait on the simulation
        log(f"{name}: {env.describe()}")
        _seed(run.seed + index)  # model initialisation and action noise: runs with one seed repeat
        run.learner_fn(env, **run.learner_kwargs)
        env.close()
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure ends the run the same way
        stop.raised, stop.open = True, False  # ignore further signals while the callbacks run
        interrupted = isinstance(exc, Stopped)
        if isinstance(exc, Refused):
            log(f"{name} refused to start: {exc}")
        elif interrupted or isinstance(exc, PeerFailure):
            log(f"{name} stopping: {exc}")
        else:
            log(f"{name} failed:")
            traceback.print_exc()
        for callback in env.failure_callbacks if env is not None else []:
            try:
                callback(exc)
            except Exception:  # noqa: BLE001 - one failing callback must not skip the others
                log(f"{name}: failure callback {callback!r} raised:")
                traceback.print_exc()
        return EXIT_INTERRUPTED if interrupted else EXIT_FAILED


def _simulation_role(run: RunSpec, rank: int, index: int, local_device: str, marker: str | None) -> int:
    layout = run.layout
    name = f"simulation process {index} (rank {rank}, device {layout.sim_devices[index]})"
    try:
        pipe = _join(run, rank, local_device, run.learner_timeout, [layout.rank_of_learner(layout.feeds[index])])
        serve_environment(
            pipe,
            run.env_factory,
            run.env_factory_kwargs,
            sim_index=index,
            device=local_device,
            num_envs=layout.env_counts[index],
            seed=run.seed + index,
            learner_rank=layout.rank_of_learner(layout.feeds[index]),
            backend=layout.backend,
            wire_dtypes=run.wire_dtypes,
            startup_timeout=run.startup_timeout,
            learner_timeout=run.learner_timeout,
            training_ended=(lambda: open(marker, "w").close()) if marker else (lambda: None),
        )
        return 0
    except PeerFailure as exc:
        log(f"{name} stopping: {exc}")
        return EXIT_PEER_LOST
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BaseException as exc:  # noqa: BLE001
        log(f"{name} failed: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return EXIT_FAILED


def _seed(seed: int) -> None:
    """Seed every generator a learner library may draw from (Python, NumPy, torch on all devices)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def finish(code: int) -> None:
    """Leave the learners' group; hard-exit on failure (see module doc)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if code != 0:
        os._exit(code)
    leave_run()


def _learner_ranks(layout) -> list[int]:
    return [layout.rank_of_learner(i) for i in range(layout.num_learners)]


def _die_with_parent(parent_pid: int, sig: int) -> None:
    """Ask Linux to send ``sig`` to this process when its parent (the launcher) dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:
        os._exit(EXIT_FAILED)


def main(argv: list[str]) -> None:
    payload_path, rank = argv[0], int(argv[1])
    with open(payload_path, "rb") as f:
        payload = pickle.load(f)
    sys.path[:0] = [p for p in payload["sys_path"] if p not in sys.path]
    run: RunSpec = pickle.loads(payload["run"])
    kind, _ = run.layout.role(rank)
    _die_with_parent(int(os.environ["DEXGRASP_LAUNCHER_PID"]), signal.SIGTERM if kind == "learner" else signal.SIGKILL)
    device = run.layout.device_of(rank)
    local_device = "cuda:0" if device.startswith("cuda") else "cpu"
    code = run_role(run, rank, local_device, ended_marker(os.path.dirname(payload_path), rank))
    finish(code)
    sys.exit(code)
