"""Point-to-point messages between a learner and its simulation processes over ``torch.distributed``.

Per step, learner -> simulation process: an int64 header ``[command, episode_lengths_follow, curriculum_step]``
(``-1``: no curriculum set by the learner), the actions
(float32, ``num_envs x num_actions``), and, only when the learner's episode-length buffer was written, the episode
lengths (int64). Simulation process -> learner: one tensor per observation group in its wire dtype, then one
float32 "scalars" vector laid out as :class:`Scalars` describes. The same message carries the initial observations
right after the handshake. Only the handshake (:meth:`Pipe.send_object` / :meth:`Pipe.recv_object`) pickles.

Message order between a pair of ranks is the order of the calls (gloo and NCCL both keep it); each message kind
also has its own tag for gloo.

Waiting: gloo's receive has no per-call timeout and its ``is_completed()`` never turns true for receives, but
``Work.wait(timeout=...)`` works on both backends, and a peer that dies closes its socket, which fails the wait at
once. :func:`wait_all` turns both into :class:`PeerFailure` naming the peer. The two backends count a wait's
timeout differently: gloo from the call, NCCL from when the work was posted (a receive the pipelined learner posted
a whole step earlier would otherwise get less time). :class:`Pending` remembers when each operation was posted,
so every wait ends at the same deadline, ``timeout_s`` after :func:`wait_all` was called, on either backend.
Each process holds its pipe as a :class:`Pipe` made by :func:`join_run`, not as module state.

NCCL: the pipe's groups get the run's timeout (NCCL's own default is 600 s), and :func:`join_run` sets
``TORCH_NCCL_ASYNC_ERROR_HANDLING=2`` before it creates the process's first group, whatever was set before
(torchrun sets 1 for its workers, which kills the process): a timed-out or failed operation aborts the
communicators and fails the wait instead of killing the process, so the learner still writes its checkpoint.
NCCL connects a pair of ranks at their first operation, the handshake, inside the call that posts it, where no
wait's timeout applies: the handshake runs under :func:`within`, a deadline of its own. Each pair that talks has
its own group, so NCCL's abort after a failure reaches that pair's waits only.
"""

from __future__ import annotations

import enum
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist


class Command(enum.IntEnum):
    """The command in the header the learner sends each step."""

    CLOSE = 0
    STEP = 1


HEADER_SIZE = 3
"""``[command, episode_lengths_follow, curriculum_step]``."""

NCCL_ERROR_HANDLING = ("TORCH_NCCL_ASYNC_ERROR_HANDLING", "2")
"""On an NCCL timeout or error, abort the communicators and fail the wait (not the process: the learner saves)."""


class Tag(enum.IntEnum):
    """gloo message tags of one step; observation group ``i`` uses ``Tag.OBS + i``."""

    HEADER = 1
    ACTIONS = 2
    EPISODE_LENGTH = 3
    SCALARS = 4
    OBS = 16


class PeerFailure(RuntimeError):
    """A peer process died, broke the connection, or did not answer in time."""


def wire_device(backend: str, local_device: str) -> str:
    """Where send/recv buffers live: the process's own GPU for NCCL, host memory for gloo."""
    return local_device if backend == "nccl" else "cpu"


class Pipe:
    """The process groups that carry one run's learner <-> simulation traffic, and the sends and receives on them.

    One group per pair of ranks that talk (a learner and each simulation process that feeds it), so a failure
    between one pair can only fail waits on that pair: NCCL aborts every communicator of a group when one of its
    operations fails or times out, which in a group shared by all pairs would fail the wait on a healthy process
    that happened to be waited on, and name it as the failed one.

    Made by :func:`join_run` and handed to whoever talks over it (the learner's environment, a simulation process's
    server); the default ``torch.distributed`` group is the learners' (see :func:`join_run`).
    """

    def __init__(self, rank: int, groups: dict[int, Any]) -> None:
        self.rank = rank
        self.groups = groups
        """Per global rank of a peer, the two-rank group shared with it (the lower global rank is rank 0 there)."""
        self._counts_from_post = any(isinstance(g, dist.ProcessGroupNCCL) for g in groups.values())

    def _post(self, op: str, tensor: torch.Tensor, peer: int, tag: int) -> Pending:
        group = self.groups[peer]
        work = getattr(group, op)([tensor], int(peer > self.rank), tag)
        return Pending(work, time.monotonic(), self._counts_from_post)

    def isend(self, tensor: torch.Tensor, dst: int, tag: int = 0) -> Pending:
        """Start sending ``tensor`` to global rank ``dst``."""
        return self._post("send", tensor, dst, tag)

    def irecv(self, tensor: torch.Tensor, src: int, tag: int = 0) -> Pending:
        """Start receiving into ``tensor`` from global rank ``src``."""
        return self._post("recv", tensor, src, tag)

    def send_object(self, obj: Any, dst: int, device: str, timeout_s: float, peer: str) -> None:
        """Pickle and send one object (handshake only): its size, then its bytes, all within ``timeout_s``.

        The handshake is a pair's first operation, during which NCCL connects the pair inside the posting call,
        where no wait's timeout applies: the whole exchange runs under :func:`within`.
        """
        data = torch.frombuffer(bytearray(pickle.dumps(obj)), dtype=torch.uint8).to(device)
        size = torch.tensor([data.numel()], dtype=torch.long, device=device)
        within(timeout_s, peer, lambda: wait_all([self.isend(size, dst), self.isend(data, dst)], timeout_s, peer))

    def recv_object(self, src: int, device: str, timeout_s: float, peer: str) -> Any:
        """Receive one object sent by :meth:`send_object` within ``timeout_s`` (handshake only, see there)."""

        def exchange():
            size = torch.zeros(1, dtype=torch.long, device=device)
            wait_all([self.irecv(size, src)], timeout_s, peer)
            data = torch.empty(int(size.item()), dtype=torch.uint8, device=device)
            wait_all([self.irecv(data, src)], timeout_s, peer)
            return pickle.loads(data.cpu().numpy().tobytes())

        return within(timeout_s, peer, exchange)


def within(timeout_s: float, peer: str, call: Callable[[], Any]) -> Any:
    """``call()`` with a deadline even where it blocks outside any wait (NCCL's connection set-up): it runs in a
    helper thread, and PeerFailure naming ``peer`` is raised if it has not returned after ``timeout_s``. The thread
    is left behind then; the failing process exits without joining it."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name=f"dexgrasp-within-{peer}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not outcome:
        raise PeerFailure(f"{peer} did not answer within {timeout_s:.1f} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def join_run(
    backend: str,
    rank: int,
    world_size: int,
    local_device: str,
    timeout_s: float,
    learner_ranks: list[int],
    peers: list[int],
) -> Pipe:
    """Join the run: a private two-rank group with each of ``peers`` for the pipe (returned), and the default group
    among the learners only.

    The learner <-> simulation traffic goes through process groups of its own, built on the run's store
    (``MASTER_ADDR``/``MASTER_PORT``) and never made the default. The default ``torch.distributed`` group holds the
    learners alone, because the learner libraries reduce over the default group whenever one exists (RSL-RL's
    observation normaliser and its multi-GPU gradient averaging): with one learner those are no-ops, with
    several (hybrid topology) they average over exactly the learners, and a simulation process never joins them.

    ``timeout_s`` bounds the rendezvous and every operation without an explicit timeout (on simulation processes:
    waiting for the learner's next actions, which includes the learner's whole PPO update).
    """
    if dist.is_initialized():
        raise RuntimeError("a default process group exists before the run's: NCCL's error handling is already fixed")
    name, mode = NCCL_ERROR_HANDLING
    os.environ[name] = mode  # read when a NCCL group is created
    if local_device.startswith("cuda"):
        torch.cuda.set_device(torch.device(local_device))
    timeout = timedelta(seconds=timeout_s)
    # under torchrun the agent already serves the store on MASTER_PORT: join it as a client
    agent_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() == "true"
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        world_size,
        is_master=rank == 0 and not agent_store,
        timeout=timeout,
    )
    # a torchrun restart reuses the store: keys of an earlier attempt must not be read
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    group_class = dist.ProcessGroupNCCL if backend == "nccl" else dist.ProcessGroupGloo
    groups = {}
    for peer in sorted(peers):
        low, high = sorted((rank, peer))
        pair_store = dist.PrefixStore(f"dexgrasp/{attempt}/pipe/{low}-{high}", store)
        groups[peer] = group_class(pair_store, int(rank > peer), 2, timeout)
    if rank in learner_ranks:
        dist.init_process_group(
            backend,
            store=dist.PrefixStore(f"dexgrasp/{attempt}/learners", store),
            rank=learner_ranks.index(rank),
            world_size=len(learner_ranks),
            timeout=timeout,
        )
    return Pipe(rank, groups)


def leave_run() -> None:
    """Leave the learners' default group (the pipe goes with its :class:`Pipe`)."""
    if dist.is_initialized():
        dist.destroy_process_group()


@dataclass(frozen=True)
class Pending:
    """A posted send or receive, with when it was posted and whether its backend counts timeouts from then."""

    work: Any
    posted: float
    counts_from_post: bool

    def wait(self, deadline: float) -> None:
        """Wait until ``deadline`` (``time.monotonic()``) at the latest."""
        start = self.posted if self.counts_from_post else time.monotonic()
        self.work.wait(timeout=timedelta(seconds=max(deadline - start, 0.001)))


CLOCK_SLACK_S = 0.05
"""A wait that fails this close to its deadline timed out: the backends round the timeout (gloo to milliseconds)
and may end it a little early, with an error that is not a peer's."""


def wait_all(works: list[Pending], timeout_s: float, peer: str) -> None:
    """Wait for pending sends/receives with one peer, all within ``timeout_s`` from now; raise PeerFailure naming
    ``peer`` on error or timeout."""
    deadline = time.monotonic() + timeout_s
    for work in works:
        try:
            work.wait(deadline)
        except Exception as exc:  # noqa: BLE001 - gloo/NCCL raise plain RuntimeErrors
            if time.monotonic() >= deadline - CLOCK_SLACK_S:
                raise PeerFailure(f"{peer} did not answer within {timeout_s:.1f} s") from exc
            raise peer_failure(peer, exc) from exc


def all_reduce_within(tensor: torch.Tensor, timeout_s: float, peers: str, op=dist.ReduceOp.SUM) -> None:
    """Reduce ``tensor`` over the default process group, waiting at most ``timeout_s``; raise PeerFailure naming
    ``peers`` when one of them failed or did not take part in time (a blocking collective would wait for a dead
    or hung peer as long as the group's timeout allows, and under NCCL the wait is on the host's next sync)."""
    def reduce() -> None:  # posting the first NCCL collective connects the group: under the deadline too
        work = dist.all_reduce(tensor, op=op, async_op=True)
        wait_all([Pending(work, time.monotonic(), counts_from_post=False)], timeout_s, peers)

    within(timeout_s, peers, reduce)


def peer_failure(peer: str, exc: BaseException) -> PeerFailure:
    """``exc`` (a plain RuntimeError from gloo or NCCL) as a :class:`PeerFailure` naming ``peer``, in one line."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return PeerFailure(f"{peer} failed: {reason}")


@dataclass(frozen=True)
class Scalars:
    """Layout of the float32 vector a simulation process sends each step next to the observations.

    ``[rewards | dones | time_outs | episode_length]`` (``num_envs`` each), then ``[log values | log present]``
    (one entry per log key of the spec; a value is a mean, its ``present`` entry 0 when the key was not reported,
    -1 for a scalar, which counts as a mean over the process's environments, and ``n`` for the mean of ``n``
    per-episode values), the number of environments reset this step for non-finite values, then
    ``[successes | episodes]``: episodes that ended this step and how many of them succeeded (for a curriculum
    decided on the learner over all simulation processes), then ``[wait_s | step_s]``: how long the process waited
    for this step's actions and how long ``env.step`` took (the pipeline's instrumentation). Integers up to 2**24
    are exact in float32, which covers dones, time-outs, episode lengths and counts.
    """

    num_envs: int
    num_log_keys: int

    @property
    def size(self) -> int:
        return 4 * self.num_envs + 2 * self.num_log_keys + 5

    def part(self, vector: torch.Tensor, name: str) -> torch.Tensor:
        n, k = self.num_envs, self.num_log_keys
        bounds = {
            "rewards": (0, n),
            "dones": (n, 2 * n),
            "time_outs": (2 * n, 3 * n),
            "episode_length": (3 * n, 4 * n),
            "log_values": (4 * n, 4 * n + k),
            "log_present": (4 * n + k, 4 * n + 2 * k),
            "nonfinite": (4 * n + 2 * k, 4 * n + 2 * k + 1),
            "outcomes": (4 * n + 2 * k + 1, 4 * n + 2 * k + 3),
            "timing": (4 * n + 2 * k + 3, 4 * n + 2 * k + 5),
        }
        start, stop = bounds[name]
        return vector[start:stop]
