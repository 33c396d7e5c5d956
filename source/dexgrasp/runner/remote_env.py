"""The learner's view of its simulation processes: one RSL-RL ``VecEnv`` on the learner device.

:class:`DisaggregatedVecEnv` concatenates the environments of the simulation processes that feed this learner in
rank order (process ``i`` owns rows ``slices[i]``), so RSL-RL's ``OnPolicyRunner``, PPO and ``RolloutStorage`` run
on it unchanged. ``step(actions)`` sends every process its slice of the actions, then receives all of them; the
pipelined runner (``pipelined_runner.py``) uses the same three primitives, :meth:`send_actions`, :meth:`receive`
and :meth:`collect`, interleaved with acting.

Buffers are allocated once after the handshake. Step results go into three rotating frames: RSL-RL keeps a
step's observations in its pending transition until the next step has been received, and the pipelined runner
has already posted the receives of the step after that. A returned TensorDict is overwritten three steps later.

Curriculum: with a :class:`~dexgrasp.runner.curriculum.LockstepCurriculum` set as ``curriculum``, each step's
episode outcomes are counted when the step is collected and the decision goes out with the actions
(:class:`~dexgrasp.runner.curriculum_relay.CurriculumRelay` holds the rule and its one step of delay).

``episode_length_buf`` mirrors the simulation processes' episode lengths (updated each step). Assigning to it, as
``OnPolicyRunner.learn(init_at_random_ep_len=True)`` does, sends the new lengths to the processes with their next
actions, before they step. Writing into it in place is not forwarded: assign.

``extras["log"]`` holds, for each log key any process reported this step, the mean over the reporting processes
weighted by their environment counts (each process reports a mean over its environments), or, for values reported
per finished episode (the grasp metrics), that mean over all the step's episodes repeated once per episode, so that
RSL-RL's mean over an iteration weighs episodes, not steps,
plus ``nonfinite_obs_resets``: the number of environments the processes reset this step for NaN/Inf values, and
the pipeline's waiting times in seconds (RSL-RL logs their mean per iteration): ``Pipeline/learner_wait_s``, how
long the learner blocked this step waiting for simulation results; ``Pipeline/sim_wait_s`` and
``Pipeline/sim_step_s``, how long the simulation processes waited for this step's actions and spent in
``env.step`` (mean over processes).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from .curriculum import LockstepCurriculum
from .curriculum_relay import NO_STEP, CurriculumRelay
from .spec import EnvSpec, ObsKey, check_compatible
from .transport import Command, Pipe, Scalars, Tag, peer_failure, wait_all, wire_device

NONFINITE_LOG_KEY = "nonfinite_obs_resets"
LEARNER_WAIT_KEY, SIM_WAIT_KEY, SIM_STEP_KEY = "Pipeline/learner_wait_s", "Pipeline/sim_wait_s", "Pipeline/sim_step_s"


@dataclass(frozen=True)
class SimPeer:
    """A simulation process as the learner names it in messages: index, global rank, device in the layout."""

    index: int
    rank: int
    device: str

    def __str__(self) -> str:
        return f"simulation process {self.index} (rank {self.rank}, device {self.device})"


@dataclass
class _Frame:
    """One step's worth of learner-side buffers."""

    obs: TensorDict
    rewards: torch.Tensor
    dones: torch.Tensor
    time_outs: torch.Tensor


class DisaggregatedVecEnv(VecEnv):
    """All simulation processes feeding one learner, as one RSL-RL VecEnv on the learner device."""

    def __init__(
        self,
        pipe: Pipe,
        peers: list[SimPeer],
        device: str,
        backend: str,
        worker_timeout: float = 60.0,
        startup_timeout: float = 600.0,
        learner_dtypes: dict[ObsKey, torch.dtype] | None = None,
        synchronous: bool = False,
        stop_gate: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    ) -> None:
        """Handshake with every peer and receive their initial observations (needs the process group).

        ``stop_gate()`` wraps every blocking wait on a simulation process: the learner process lets a stop signal
        through only there (see :class:`~dexgrasp.runner.process.StopOnSignal`).
        """
        self.pipe = pipe
        self.peers = list(peers)
        self.stop_gate = stop_gate
        self.device = device
        self.worker_timeout = worker_timeout
        self.startup_timeout = startup_timeout
        self.synchronous = synchronous
        self.wire_device = wire_device(backend, device)
        self.failure_callbacks: list[Callable[[BaseException], None]] = []
        self.nonfinite_obs_resets = 0
        """Environments reset for NaN/Inf values since the start, over all simulation processes."""

        self.specs: list[EnvSpec] = [
            pipe.recv_object(p.rank, self.wire_device, startup_timeout, str(p)) for p in self.peers
        ]
        check_compatible(self.specs)
        first = self.specs[0]
        self.num_envs = sum(s.num_envs for s in self.specs)
        self.num_actions = first.num_actions
        self.max_episode_length = first.max_episode_length
        self.cfg = first.cfg
        self.slices: list[slice] = []
        start = 0
        for spec in self.specs:
            self.slices.append(slice(start, start + spec.num_envs))
            start += spec.num_envs

        overrides = dict(learner_dtypes or {})
        self.groups = first.groups
        self.learner_dtypes = {g.key: overrides.pop(g.key, None) or g.env_dtype for g in self.groups}
        if overrides:
            raise ValueError(f"learner_dtypes names unknown observation groups: {sorted(map(str, overrides))}")
        self._frames = [self._make_frame() for _ in range(3)]
        self._results = [0] * len(self.peers)
        """Index of the next step result expected from each process (0: the initial observations)."""
        self._latest = -1
        """Index of the last collected step result; it lives in ``_frames[_latest % 3]``."""
        self._episode_length_buf = torch.zeros(self.num_envs, dtype=torch.long, device=device)
        self._episode_length_dirty = [False] * len(self.peers)

        self.log_keys = list(dict.fromkeys(k for s in self.specs for k in s.log_keys))
        self._log_index = [
            torch.tensor([self.log_keys.index(k) for k in s.log_keys], dtype=torch.long, device=device)
            for s in self.specs
        ]
        self._log_sum = torch.zeros(len(self.log_keys), device=device)
        self._log_count = torch.zeros(len(self.log_keys), device=device)
        self._log_episodes = torch.zeros(len(self.log_keys), device=device)
        self._nonfinite = torch.zeros(1, device=device)
        self._outcomes = torch.zeros(2, device=device)
        self._sim_timing = torch.zeros(2, device=device)
        self._learner_wait = 0.0
        self.learner_wait_s = 0.0
        """Seconds the learner has blocked waiting for simulation results since the start."""
        self._relay = CurriculumRelay()

        # host receive buffers of a GPU learner are pinned: the copy to the device then needs no extra host copy
        pin = self.wire_device == "cpu" and device.startswith("cuda")
        self._scalars = [Scalars(s.num_envs, len(s.log_keys)) for s in self.specs]
        self._scalar_bufs = [torch.zeros(sc.size, device=self.wire_device, pin_memory=pin) for sc in self._scalars]
        self._staging = [
            {
                g.key: torch.empty((s.num_envs, *g.shape), dtype=g.wire_dtype, device=self.wire_device, pin_memory=pin)
                for g in self.groups
                if not self._direct(g.key, g.wire_dtype)
            }
            for s in self.specs
        ]
        self._pending: list[list | None] = [None] * len(self.peers)

        for w in range(len(self.peers)):
            self._pending[w] = self._post_receives(w)
        for w in range(len(self.peers)):
            self.receive(w)
        self.collect()
        self._closed = False

    # -- RSL-RL VecEnv interface ------------------------------------------------------------------------------

    @property
    def episode_length_buf(self) -> torch.Tensor:
        return self._episode_length_buf

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        self._episode_length_buf.copy_(value)
        self._episode_length_dirty = [True] * len(self.peers)

    def get_observations(self) -> TensorDict:
        return self._frames[self._latest % 3].obs

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        for w, sl in enumerate(self.slices):
            self.send_actions(w, actions[sl])
        for w in range(len(self.peers)):
            self.receive(w)
        return self.collect()

    # -- Pipelining primitives ----------------------------------------------------------------------------------

    def send_actions(self, w: int, actions: torch.Tensor) -> None:
        """Send simulation process ``w`` its actions (rows ``slices[w]``) and post the receives of its answer."""
        if self._pending[w] is not None or self._results[w] > self._latest + 2:
            raise RuntimeError(f"{self.peers[w]} is a step ahead: receive() it and collect() the step first")
        peer = self.peers[w].rank
        follows = self._episode_length_dirty[w]
        step = self._relay.header_step(answers_collected_step=self._latest == self._results[w] - 1)
        header = torch.tensor([Command.STEP, int(follows), step], dtype=torch.long, device=self.wire_device)
        outgoing = [(header, Tag.HEADER), (actions.to(self.wire_device, torch.float32).contiguous(), Tag.ACTIONS)]
        if follows:
            lengths = self._episode_length_buf[self.slices[w]].to(self.wire_device).contiguous()
            outgoing.append((lengths, Tag.EPISODE_LENGTH))
            self._episode_length_dirty[w] = False
        try:  # gloo may refuse to post at once when the peer's connection is already closed
            sends = [(self.pipe.isend(t, peer, tag), t) for t, tag in outgoing]
            self._pending[w] = sends + self._post_receives(w)
        except RuntimeError as exc:
            raise peer_failure(str(self.peers[w]), exc) from exc

    def receive(self, w: int, timeout_s: float | None = None) -> tuple[TensorDict, torch.Tensor]:
        """Wait for simulation process ``w``'s step; return views of its observations and dones on the learner.

        Each process's first step gets ``startup_timeout``: on a GPU it compiles Warp kernels and captures CUDA
        graphs, which can take minutes. Every later step gets ``worker_timeout``.
        """
        pending = self._pending[w]
        if pending is None or self._results[w] > self._latest + 1:
            raise RuntimeError(f"nothing to receive from {self.peers[w]} before the next collect()")
        waiting = time.perf_counter()
        with self.stop_gate():
            wait_all([work for work, _ in pending], timeout_s or self.step_timeout(w), str(self.peers[w]))
        self._learner_wait += time.perf_counter() - waiting
        self._pending[w] = None
        frame, sl, spec = self._frames[self._results[w] % 3], self.slices[w], self.specs[w]
        self._results[w] += 1
        for key, staged in self._staging[w].items():
            frame.obs[key][sl].copy_(staged)
        scalars, layout = self._scalar_bufs[w].to(self.device), self._scalars[w]
        frame.rewards[sl] = layout.part(scalars, "rewards")
        frame.dones[sl] = layout.part(scalars, "dones").long()
        frame.time_outs[sl] = layout.part(scalars, "time_outs").bool()
        self._episode_length_buf[sl] = layout.part(scalars, "episode_length").long()
        if spec.log_keys:
            present = layout.part(scalars, "log_present")
            episodes = present.clamp(min=0.0)
            weight = torch.where(present < 0, float(spec.num_envs), episodes)  # a scalar counts per environment
            self._log_sum.index_add_(0, self._log_index[w], layout.part(scalars, "log_values") * weight)
            self._log_count.index_add_(0, self._log_index[w], weight)
            self._log_episodes.index_add_(0, self._log_index[w], episodes)
        self._nonfinite += layout.part(scalars, "nonfinite")
        self._outcomes += layout.part(scalars, "outcomes")
        self._sim_timing += layout.part(scalars, "timing")
        return frame.obs[sl], frame.dones[sl]

    def step_timeout(self, w: int) -> float:
        """Seconds the next result of simulation process ``w`` may take (see :meth:`receive`)."""
        return self.startup_timeout if self._results[w] <= 1 else self.worker_timeout

    def collect(self) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        """After every process was received this step: the full step, as ``VecEnv.step`` returns it."""
        missing = [str(self.peers[w]) for w, r in enumerate(self._results) if r != self._latest + 2]
        if missing:
            raise RuntimeError(f"collect() before receiving {', '.join(missing)}")
        self._latest += 1
        frame = self._frames[self._latest % 3]

        # one host transfer for everything the log needs
        k = len(self.log_keys)
        *per_key, nonfinite, sim_wait, sim_step = torch.cat(
            [self._log_count, self._log_episodes, self._nonfinite, self._sim_timing / len(self.peers)]
        ).tolist()
        counts, episodes = per_key[:k], per_key[k:]
        nonfinite = int(nonfinite)
        log = {}
        for i, key in enumerate(self.log_keys):
            if counts[i] > 0:
                mean = self._log_sum[i] / counts[i]
                # per-episode values: as many copies of their mean as episodes, so RSL-RL weighs each episode once
                log[key] = mean.expand(int(episodes[i])) if episodes[i] > 0 else mean
        log[NONFINITE_LOG_KEY] = float(nonfinite)
        if self._latest > 0:  # the initial observations come after start-up, not after a step
            log.update({LEARNER_WAIT_KEY: self._learner_wait, SIM_WAIT_KEY: sim_wait, SIM_STEP_KEY: sim_step})
        self.learner_wait_s += self._learner_wait
        self._learner_wait = 0.0
        self._sim_timing.zero_()
        self.nonfinite_obs_resets += nonfinite
        self._log_sum.zero_()
        self._log_count.zero_()
        self._log_episodes.zero_()
        self._nonfinite.zero_()
        self._relay.count(*self._outcomes.tolist(), log, timeout_s=self._other_learners_timeout())
        self._outcomes.zero_()
        return frame.obs, frame.rewards, frame.dones, {"time_outs": frame.time_outs, "log": log}

    def _other_learners_timeout(self) -> float:
        """How long another learner (hybrid topology) may take to reach the step just collected: its own wait for
        that step (the startup deadline up to the first step), plus one step."""
        own = self.startup_timeout if self._latest <= 1 else self.worker_timeout
        return own + self.worker_timeout

    # -- Lifecycle ----------------------------------------------------------------------------------------------

    @property
    def curriculum(self) -> LockstepCurriculum | None:
        """Set by the learner to decide the curriculum over all processes (None: the environments decide)."""
        return self._relay.curriculum

    @curriculum.setter
    def curriculum(self, curriculum: LockstepCurriculum | None) -> None:
        self._relay.curriculum = curriculum

    def curriculum_state(self) -> dict:
        return self._relay.state()

    def set_curriculum_state(self, state: dict) -> None:
        self._relay.load(state)

    def on_failure(self, callback: Callable[[BaseException], None]) -> None:
        """Register ``callback(exc)``, run in the learner process when the run fails (e.g. to save a checkpoint).

        It runs when the learner function raises: a simulation process died or timed out (:class:`PeerFailure`),
        the launcher stopped the run (Ctrl-C, another process failed), or the learner's own code failed.
        """
        self.failure_callbacks.append(callback)

    def close(self) -> None:
        """Tell every simulation process to close its environment and exit."""
        if self._closed:
            return
        self._closed = True
        for w, peer in enumerate(self.peers):
            if self._pending[w] is not None:
                wait_all([work for work, _ in self._pending[w]], self.worker_timeout, str(peer))
            header = torch.tensor([Command.CLOSE, 0, NO_STEP], dtype=torch.long, device=self.wire_device)
            wait_all([self.pipe.isend(header, peer.rank, Tag.HEADER)], self.worker_timeout, str(peer))

    def receive_buffers(self) -> list[torch.Tensor]:
        """Every buffer the step results are received into before they reach the learner's frames (staging
        buffers of groups that change device or dtype, and the scalars): host memory under gloo."""
        return [t for staging in self._staging for t in staging.values()] + list(self._scalar_bufs)

    def describe(self) -> str:
        """Observation groups with their dtype in the environment, on the wire and on the learner."""
        parts = []
        for g in self.groups:
            name = "/".join(g.key) if isinstance(g.key, tuple) else g.key
            dtypes = f"{g.env_dtype}->{g.wire_dtype}->{self.learner_dtypes[g.key]}".replace("torch.", "")
            parts.append(f"{name}{list(g.shape)} {dtypes}")
        return f"{self.num_envs} envs from {len(self.peers)} simulation processes; obs: " + ", ".join(parts)

    # -- Internals ----------------------------------------------------------------------------------------------

    def _direct(self, key: ObsKey, wire_dtype: torch.dtype) -> bool:
        """Whether a group can be received straight into the learner's buffer (same device and dtype)."""
        return self.wire_device == self.device and wire_dtype == self.learner_dtypes[key]

    def _make_frame(self) -> _Frame:
        n, dev = self.num_envs, self.device
        obs = TensorDict({}, batch_size=[n], device=dev)
        for g in self.groups:
            obs[g.key] = torch.zeros((n, *g.shape), dtype=self.learner_dtypes[g.key], device=dev)
        return _Frame(
            obs=obs,
            rewards=torch.zeros(n, device=dev),
            dones=torch.zeros(n, dtype=torch.long, device=dev),
            time_outs=torch.zeros(n, dtype=torch.bool, device=dev),
        )

    def _post_receives(self, w: int) -> list:
        """Post the receives of process ``w``'s next step result into its frame (or into staging buffers)."""
        peer, frame, sl = self.peers[w].rank, self._frames[self._results[w] % 3], self.slices[w]
        works = []
        for i, g in enumerate(self.groups):
            target = self._staging[w].get(g.key)
            if target is None:
                target = frame.obs[g.key][sl]
            works.append((self.pipe.irecv(target, peer, Tag.OBS + i), target))
        works.append((self.pipe.irecv(self._scalar_bufs[w], peer, Tag.SCALARS), self._scalar_bufs[w]))
        return works
