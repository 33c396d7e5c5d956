"""The simulation process's server: owns one RSL-RL VecEnv and serves steps to its learner.

The environment comes from a picklable factory, ``env_factory(**kwargs, rank=sim_index, device=..., num_envs=...,
seed=...)``, that returns an object with RSL-RL's ``VecEnv`` interface (for Isaac Lab: ``RslRlVecEnvWrapper``
around the task's environment). The process sends the handshake spec and the initial observations, then loops:
receive actions, step, send observations, rewards, dones, time-outs, episode lengths and log scalars.

Curriculum: each step's episode outcomes go to the learner, which decides for all simulation processes together
and sends the step back in the header (:mod:`.curriculum_relay`).

Timing: each step also reports how long the process waited for that step's actions (which includes the learner's
PPO update at an iteration boundary) and how long ``env.step`` took, so the learner can log both.

Non-finite values (NaN/Inf) in a step's observations or rewards do not reach the learner. The affected
environments are reset through ``env.reset_envs(env_ids)`` when the environment has it (after which
``env.get_observations()`` must hold their fresh observations); otherwise their non-finite entries are zeroed.
Either way they are reported as done (not timed out, so PPO does not bootstrap from a broken state), their reward
is zeroed, and their number is logged as ``nonfinite_obs_resets``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import torch
from tensordict import TensorDict

from .curriculum_relay import episode_outcomes, follow
from .spec import EnvSpec, ObsKey, describe_env
from .transport import HEADER_SIZE, Command, Pipe, Scalars, Tag, wait_all, wire_device

FLOAT16_MAX = torch.finfo(torch.float16).max


class SimulationServer:
    """Wire buffers and the step loop of one simulation process."""

    def __init__(self, pipe: Pipe, env, spec: EnvSpec, learner_rank: int, backend: str, timeout_s: float) -> None:
        self.pipe = pipe
        self.env = env
        self.spec = spec
        self.learner_rank = learner_rank
        self.timeout_s = timeout_s
        """How long to wait for the learner: its next actions come after its whole PPO update."""
        self.device = wire_device(backend, spec.device)
        n = spec.num_envs
        self.obs = {g.key: torch.empty((n, *g.shape), dtype=g.wire_dtype, device=self.device) for g in spec.groups}
        self.layout = Scalars(n, len(spec.log_keys))
        self.scalars = torch.zeros(self.layout.size, dtype=torch.float32, device=self.device)
        self.header = torch.zeros(HEADER_SIZE, dtype=torch.long, device=self.device)
        self.actions = torch.zeros((n, spec.num_actions), dtype=torch.float32, device=self.device)
        self.episode_length = torch.zeros(n, dtype=torch.long, device=self.device)
        self._warned: set[str] = set()

    def serve(self) -> None:
        """Send the initial observations, then step until the learner sends CLOSE."""
        self._send(self.env.get_observations(), rewards=None, dones=None, extras={})
        while True:
            waiting = time.perf_counter()
            self._recv([(self.header, Tag.HEADER)])
            command, episode_length_follows, curriculum_step = self.header.tolist()
            if command == Command.CLOSE:
                return
            follow(self.env, curriculum_step)
            incoming = [(self.actions, Tag.ACTIONS)]
            if episode_length_follows:
                incoming.append((self.episode_length, Tag.EPISODE_LENGTH))
            self._recv(incoming)
            stepping = time.perf_counter()
            if episode_length_follows:
                buf = self.env.episode_length_buf
                self.env.episode_length_buf = self.episode_length.to(device=buf.device, dtype=buf.dtype)
            obs, rewards, dones, extras = self.env.step(self.actions.to(self.spec.device))
            self._send(obs, rewards, dones, extras, timing=(stepping - waiting, time.perf_counter() - stepping))

    def _recv(self, buffers: list[tuple[torch.Tensor, int]]) -> None:
        works = [self.pipe.irecv(t, self.learner_rank, tag) for t, tag in buffers]
        wait_all(works, self.timeout_s, f"learner (rank {self.learner_rank})")

    def _send(self, obs: TensorDict, rewards, dones, extras: dict, timing: tuple[float, float] = (0.0, 0.0)) -> None:
        n = self.spec.num_envs
        bad = torch.zeros(n, dtype=torch.bool, device=self.spec.device)
        for group in self.spec.groups:
            value = obs[group.key]
            if value.dtype.is_floating_point:
                bad |= ~torch.isfinite(value.reshape(n, -1)).all(dim=1)
            if group.wire_dtype == torch.float16 and value.dtype != torch.float16:
                value = value.clamp(-FLOAT16_MAX, FLOAT16_MAX)
            self.obs[group.key].copy_(value)
        if rewards is not None:
            bad |= ~torch.isfinite(rewards.reshape(n))
        num_bad = int(bad.sum())
        if num_bad:
            self._replace_nonfinite(bad.nonzero().squeeze(-1))

        layout, scalars = self.layout, self.scalars
        if rewards is None:
            scalars.zero_()
        else:
            layout.part(scalars, "rewards").copy_(torch.nan_to_num(rewards.reshape(n).float(), 0.0, 0.0, 0.0))
            layout.part(scalars, "dones").copy_(dones.reshape(n))
            time_outs = extras.get("time_outs")
            if time_outs is None:
                layout.part(scalars, "time_outs").zero_()
            else:
                layout.part(scalars, "time_outs").copy_(time_outs.reshape(n))
            if num_bad:
                bad_wire = bad.to(self.device)
                layout.part(scalars, "rewards")[bad_wire] = 0.0
                layout.part(scalars, "dones")[bad_wire] = 1.0
                layout.part(scalars, "time_outs")[bad_wire] = 0.0
        layout.part(scalars, "episode_length").copy_(self.env.episode_length_buf.reshape(n))
        self._pack_log(extras.get("log") or {})
        layout.part(scalars, "nonfinite").fill_(num_bad)
        outcomes = episode_outcomes(self.env) if rewards is not None else (0, 0)
        layout.part(scalars, "outcomes").copy_(torch.tensor(outcomes, dtype=torch.float32))
        layout.part(scalars, "timing").copy_(torch.tensor(timing, dtype=torch.float32))

        tensors = [(self.obs[g.key], Tag.OBS + i) for i, g in enumerate(self.spec.groups)]
        tensors.append((scalars, Tag.SCALARS))
        works = [self.pipe.isend(t, self.learner_rank, tag) for t, tag in tensors]
        wait_all(works, self.timeout_s, f"learner (rank {self.learner_rank})")

    def _replace_nonfinite(self, env_ids: torch.Tensor) -> None:
        """Reset (or, without ``reset_envs``, sanitize) environments whose step produced NaN/Inf."""
        wire_ids = env_ids.to(self.device)
        for buf in self.obs.values():
            if buf.dtype.is_floating_point:
                buf[wire_ids] = torch.nan_to_num(buf[wire_ids], 0.0, 0.0, 0.0)
        reset_envs: Callable | None = getattr(self.env, "reset_envs", None)
        if reset_envs is None:
            self._warn_once(
                "no_reset_envs",
                "environment has no reset_envs(env_ids): non-finite observations are zeroed and the envs marked done",
            )
            return
        reset_envs(env_ids)
        fresh = self.env.get_observations()
        for key, buf in self.obs.items():
            buf[wire_ids] = fresh[key][env_ids].to(device=self.device, dtype=buf.dtype)

    def _pack_log(self, log: dict) -> None:
        values = self.layout.part(self.scalars, "log_values")
        present = self.layout.part(self.scalars, "log_present")
        values.zero_()
        present.zero_()
        for i, key in enumerate(self.spec.log_keys):
            if key in log:
                value = torch.as_tensor(log[key], device=self.device).float()
                values[i] = value.mean()
                present[i] = value.numel() if value.dim() > 0 else -1.0  # episodes, or a scalar
        unknown = set(log) - set(self.spec.log_keys)
        if unknown:
            self._warn_once("log_keys", f"log keys unknown at the handshake are not forwarded: {sorted(unknown)}")

    def _warn_once(self, topic: str, message: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            warnings.warn(f"simulation process {self.spec.sim_index}: {message}", stacklevel=3)


def serve_environment(
    pipe: Pipe,
    env_factory: Callable,
    env_factory_kwargs: dict,
    sim_index: int,
    device: str,
    num_envs: int,
    seed: int,
    learner_rank: int,
    backend: str,
    wire_dtypes: dict[ObsKey, torch.dtype] | None,
    startup_timeout: float,
    learner_timeout: float,
    training_ended: Callable[[], None] = lambda: None,
) -> None:
    """Create the environment, hand the learner its spec, and serve steps until told to close.

    Losing the learner (its process died, or it sent nothing for ``learner_timeout`` seconds) raises
    :class:`~dexgrasp.runner.transport.PeerFailure`. Once the learner said CLOSE, training is over and saved:
    ``training_ended()`` records that (the launcher then counts a failure in ``close()`` as a warning, a simulator
    can crash there), and an exception from ``close()`` is only a warning.
    """
    env = env_factory(**env_factory_kwargs, rank=sim_index, device=device, num_envs=num_envs, seed=seed)
    if int(env.num_envs) != num_envs:
        raise ValueError(f"env_factory made {env.num_envs} environments, the layout asks for {num_envs}")
    spec = describe_env(env, sim_index, wire_dtypes)
    pipe.send_object(
        spec, learner_rank, wire_device(backend, device), startup_timeout, f"learner (rank {learner_rank})"
    )
    SimulationServer(pipe, env, spec, learner_rank, backend, learner_timeout).serve()
    training_ended()
    close = getattr(env, "close", None)
    if callable(close):
        try:
            close()
        except Exception as exc:  # noqa: BLE001 - the learner has saved its last checkpoint: the run succeeded
            warnings.warn(f"simulation process {sim_index}: closing the environment failed: {exc!r}", stacklevel=2)
