"""The learner's peak memory in a PPO update, estimated before the first one, and the mini-batch count that fits.

The first PPO update is where a large run runs out of memory: one mini-batch's activations at 12,288
environments of 160x120 depth need about 77 GiB at the agent's 4 mini-batches. The estimate adds the parts the
benchmark's memory model measures (:mod:`dexgrasp.metrics.probes`: rollout storage, model, optimizer state) to one
mini-batch's part, all from the built runner:

- **storage** and **parameters**: the rollout storage's tensors; the parameters, their gradients and Adam's two
  moments;
- **copy**: what the mini-batch generator copies out of the storage: the recurrent generator pads every
  trajectory of the whole rollout once per update (a second copy of the observations), the feed-forward one copies
  each mini-batch's rows;
- **activations**: the tensors autograd saves for the backward pass of one mini-batch, counted with
  ``torch.autograd.graph.saved_tensors_hooks`` on forwards of the actor and the critic over a few environments of
  the storage (a line through two sizes, taken to the mini-batch's); plus the largest of them once more, for the
  gradient the backward pass holds beside it.

:func:`fit_mini_batches` picks the smallest mini-batch count, from the agent's up, whose estimate fits the
device, or refuses in one line with the estimate and the environment count that would fit. Only CUDA devices are
checked (what is free from ``torch.cuda.mem_get_info``); a CPU learner uses host memory and is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dexgrasp.runner.process import Refused, log
from dexgrasp.runner.transport import all_reduce_within

GIB = 1024**3

USABLE_SHARE = 0.92
"""Share of the device's free memory the estimate may fill: the caching allocator's fragmentation and cuDNN's
workspaces take the rest."""

PROBE_ENVS = 4
"""Environments of the smaller of the activation count's two forward passes (the larger has twice as many)."""


class LearnerTooLarge(Refused):
    """The learner cannot fit its device at any mini-batch count (one line, with the setting that would fit)."""


@dataclass(frozen=True)
class LearnerMemory:
    """Estimated bytes of one learner's PPO update (see the module doc)."""

    storage: float
    """The rollout storage's tensors."""
    parameters: float
    """Parameters, their gradients and Adam's two moments."""
    copy: float
    """The observations the mini-batch generator copies: all of them (recurrent), or one mini-batch's share of them."""
    activations_fixed: float
    """What one mini-batch's forward saves whatever its size (e.g. copies of recurrent weights)."""
    activations_per_sample: float
    largest_saved: float
    """The largest tensor saved for the backward pass, at the agent's mini-batch size."""
    samples: int
    """Samples (environment-steps) of one update: environments x steps per environment."""
    recurrent: bool
    num_envs: int
    in_place: float
    """What of it is allocated already when the runner is built: the storage and the parameters."""

    def peak(self, num_mini_batches: int) -> float:
        """Estimated peak bytes with ``num_mini_batches`` mini-batches."""
        per_batch = self.samples // num_mini_batches
        copy = self.copy if self.recurrent else self.copy / num_mini_batches
        return self.storage + self.parameters + copy + self.activations(per_batch) + self.largest_saved

    def activations(self, samples: int) -> float:
        """Bytes autograd saves for a mini-batch of ``samples``."""
        return self.activations_fixed + self.activations_per_sample * samples

    def per_env(self, num_mini_batches: int) -> float:
        """Bytes per environment at ``num_mini_batches``: everything but the parameters' part grows with them."""
        return (self.peak(num_mini_batches) - self.parameters) / self.num_envs


def _bytes(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.numel()
    if isinstance(value, (list, tuple)):
        return sum(_bytes(v) for v in value)
    if hasattr(value, "values") and callable(value.values):  # TensorDict, dict
        return sum(_bytes(v) for v in value.values())
    return 0


def _tensors(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if hasattr(value, "values") and callable(value.values):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def estimate(alg) -> LearnerMemory:
    """The memory of ``alg``'s (RSL-RL PPO, storage allocated) update, per :class:`LearnerMemory`."""
    storage = alg.storage
    params = {id(p): p for model in (alg.actor, alg.critic) for p in model.parameters()}
    trainable = sum(p.numel() * p.element_size() for p in params.values() if p.requires_grad)
    parameters = sum(p.numel() * p.element_size() for p in params.values())
    storage_bytes = sum(_bytes(v) for v in vars(storage).values())
    recurrent = bool(alg.actor.is_recurrent or alg.critic.is_recurrent)
    steps, num_envs = storage.num_transitions_per_env, storage.num_envs
    fixed, per_sample, largest = _saved_per_sample(alg, recurrent)
    return LearnerMemory(
        storage=storage_bytes,
        parameters=parameters + 3 * trainable,  # gradients, Adam's exp_avg and exp_avg_sq
        copy=_bytes(storage.observations),
        activations_fixed=fixed,
        activations_per_sample=per_sample,
        largest_saved=largest,
        samples=steps * num_envs,
        recurrent=recurrent,
        num_envs=num_envs,
        in_place=storage_bytes + parameters,
    )


def _saved_per_sample(alg, recurrent: bool) -> tuple[float, float, float]:
    """Bytes autograd saves in one update's forward (actor and critic, as the update runs them), as a line through
    forwards over :data:`PROBE_ENVS` and twice as many environments of the storage: what every forward saves once
    (e.g. copies of recurrent weights), and the growth per sample; and the largest saved tensor scaled to one
    mini-batch of the agent's count."""
    storage = alg.storage
    steps = storage.num_transitions_per_env
    small = min(PROBE_ENVS, max(storage.num_envs // 2, 1))
    large = min(2 * small, storage.num_envs)
    saved_small, _ = _saved_bytes(alg, recurrent, small)
    saved_large, largest = _saved_bytes(alg, recurrent, large)
    samples = steps if recurrent else 1
    if large > small:
        per_sample = (saved_large - saved_small) / ((large - small) * samples)
    else:  # one environment: no growth to measure
        per_sample = saved_large / samples
    fixed = max(saved_large - per_sample * large * samples, 0.0)
    per_batch = storage.num_envs * steps // max(alg.num_mini_batches, 1)
    return fixed, per_sample, largest / (large * samples) * per_batch


def _saved_bytes(alg, recurrent: bool, n: int) -> tuple[int, int]:
    """Bytes autograd saves in a forward over ``n`` environments of the storage (parameters and the storage's own
    tensors left out), and the largest of the tensors saved."""
    storage = alg.storage
    steps = storage.num_transitions_per_env
    excluded = {p.untyped_storage().data_ptr() for m in (alg.actor, alg.critic) for p in m.parameters()}
    excluded |= {t.untyped_storage().data_ptr() for t in _tensors(vars(storage))}
    saved: dict[int, torch.Tensor] = {}  # held until counted: a freed block reused would hide a tensor

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        ptr = tensor.untyped_storage().data_ptr()
        if ptr not in excluded:
            saved[ptr] = tensor
        return tensor

    kept = [model.get_hidden_state() for model in (alg.actor, alg.critic)]  # the rollout's, put back after
    if recurrent:
        obs = storage.observations[:, :n]
        masks = torch.ones(steps, n, dtype=torch.bool, device=storage.device)
        hidden = [_zero_hidden(model, obs[0]) for model in (alg.actor, alg.critic)]
        actions = storage.actions[:, :n]
    else:
        obs, masks, hidden, actions = storage.observations[0, :n], None, [None, None], storage.actions[0, :n]
    try:
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            alg.actor(obs, masks=masks, hidden_state=hidden[0], stochastic_output=True)
            alg.actor.get_output_log_prob(actions)
            alg.critic(obs, masks=masks, hidden_state=hidden[1])
    finally:
        for model, state in zip((alg.actor, alg.critic), kept):
            model.reset(hidden_state=state)
    sizes = [tensor.untyped_storage().nbytes() for tensor in saved.values()]
    return sum(sizes), max(sizes, default=0)


def _zero_hidden(model, obs):
    """Zero hidden states of ``model`` for the environments of ``obs`` (one step), as the storage saves them."""
    if not model.is_recurrent:
        return None
    with torch.no_grad():
        model.reset()
        model(obs)
        state = model.get_hidden_state()
    return tuple(torch.zeros_like(h) for h in state) if isinstance(state, tuple) else torch.zeros_like(state)


def device_available(device: str) -> float | None:
    """Bytes of ``device`` the learner's update may still take: CUDA's free memory plus what this process's caching
    allocator holds unused, times :data:`USABLE_SHARE`; None on the CPU (not checked). What is allocated already
    (the environment's buffers, the storage, the model) is not available."""
    if not device.startswith("cuda"):
        return None
    index = torch.device(device)
    free, _ = torch.cuda.mem_get_info(index)
    unused = torch.cuda.memory_reserved(index) - torch.cuda.memory_allocated(index)
    return (free + unused) * USABLE_SHARE


def mini_batch_counts(memory: LearnerMemory, configured: int) -> list[int]:
    """Mini-batch counts from ``configured`` up that split the update evenly (RSL-RL drops a remainder):
    divisors of the environment count (recurrent: mini-batches of whole environments) or of the samples."""
    total = memory.num_envs if memory.recurrent else memory.samples
    return [n for n in range(max(configured, 1), total + 1) if total % n == 0]


def fit_mini_batches(memory: LearnerMemory, configured: int, capacity: float | None, device: str) -> int:
    """The smallest mini-batch count from ``configured`` up whose estimate fits ``capacity`` bytes (None: no
    check, ``configured``); raise :class:`LearnerTooLarge` when none does."""
    if capacity is None:
        return configured
    counts = mini_batch_counts(memory, configured) or [configured]
    for n in counts:
        if memory.peak(n) <= capacity:
            return n
    most = counts[-1]
    fits = max(int((capacity - memory.parameters) / memory.per_env(most)), 0)
    raise LearnerTooLarge(
        f"the learner on {device} needs about {memory.peak(configured) / GIB:.1f} GiB at {memory.num_envs}"
        f" environments and num_mini_batches={configured} ({memory.peak(most) / GIB:.1f} GiB at {most}), more than"
        f" the {capacity / GIB:.1f} GiB it may use: at most about {fits} environments fit this learner"
    )


def fit_learner_memory(alg, device: str, available: float | None, timeout_s: float = 600.0) -> LearnerMemory | None:
    """Before the first update: estimate ``alg``'s memory and set its mini-batch count to the smallest whose update
    fits ``available`` bytes beside what is allocated already (:func:`device_available`; None: a CPU learner, not
    checked; see :func:`fit_mini_batches`); several learners (a process group) take the largest any of them needs,
    within ``timeout_s``, so their updates stay in step. Returns the estimate (None when not checked)."""
    import torch.distributed as dist

    configured = alg.num_mini_batches
    memory = estimate(alg) if available is not None else None  # a CPU learner is not checked
    if memory is None:
        chosen = configured
    else:  # the storage and the model are allocated already: they count in the estimate and in what the device has
        chosen = fit_mini_batches(memory, configured, available + memory.in_place, device)
    if dist.is_initialized() and dist.get_world_size() > 1:
        agreed = torch.tensor([chosen], dtype=torch.float64, device="cuda" if dist.get_backend() == "nccl" else "cpu")
        all_reduce_within(agreed, timeout_s, "the other learners", op=dist.ReduceOp.MAX)
        chosen = int(agreed.item())
    if chosen != configured and memory is not None:
        log(
            f"the learner on {device} would need about {memory.peak(configured) / GIB:.1f} GiB with"
            f" num_mini_batches={configured}: using {chosen} ({memory.peak(chosen) / GIB:.1f} GiB)"
        )
        alg.num_mini_batches = chosen
    return memory
