"""The learner's memory estimate: its activation count agrees with a real PPO update's, and the mini-batch count
is raised until the estimate fits, or the run is refused in one line with the setting that would fit."""

from __future__ import annotations

import json

import pytest
import torch
from dexgrasp.learners.learner_memory import LearnerTooLarge, estimate, fit_mini_batches
from dexgrasp.metrics.gpu_checks import DEPTH_SPEC, sized_spec
from dexgrasp.metrics.learner_inputs import SyntheticVecEnv
from rsl_rl.runners import OnPolicyRunner
from toy_vec_env import ToyVecEnv, build_runner, ppo_cfg

import dexgrasp.models  # noqa: F401  (the depth task's policy classes)


def _saved_per_mini_batch(runner) -> list[tuple[int, int]]:
    """Samples and bytes autograd saved in each mini-batch of one real ``alg.update()`` (parameters, the rollout
    storage and the mini-batch's observations, which the estimate counts apart, left out). A recurrent mini-batch's
    samples are its padded trajectories' steps: more than its environments' steps where an episode ended."""
    alg = runner.alg
    excluded = {p.untyped_storage().data_ptr() for m in (alg.actor, alg.critic) for p in m.parameters()}
    excluded |= {t.untyped_storage().data_ptr() for t in alg.storage.observations.values()}
    batches, current, samples, batch_obs = [], {}, [], set()

    def pack(tensor):
        ptr = tensor.untyped_storage().data_ptr()
        if ptr not in excluded and ptr not in batch_obs:
            current[ptr] = tensor  # held until counted: a freed block reused would hide a tensor
        return tensor

    for name in ("mini_batch_generator", "recurrent_mini_batch_generator"):
        generator = getattr(alg.storage, name)

        def recording(*args, _generator=generator, **kwargs):
            for batch in _generator(*args, **kwargs):
                batch_obs.clear()  # a freed mini-batch's blocks are reused
                batch_obs.update(t.untyped_storage().data_ptr() for t in batch.observations.values())
                samples.append(batch.observations.batch_size.numel())
                yield batch

        setattr(alg.storage, name, recording)

    def after_step(_optimizer, _args, _kwargs):
        batches.append((samples[len(batches)], sum(t.untyped_storage().nbytes() for t in current.values())))
        current.clear()

    alg.optimizer.register_step_post_hook(after_step)
    update = alg.update

    def counted_update():
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            return update()

    alg.update = counted_update
    runner.learn(1)
    return batches


def _depth_runner(num_envs: int) -> OnPolicyRunner:
    """The depth task's learner (recurrent CNN on depth, the agent's configuration) at 32x32, fed synthetically."""
    with open(DEPTH_SPEC) as f:
        spec = sized_spec(json.load(f), (32, 32), 4, 32)
    agent = {**spec["agent_cfg"], "device": "cpu", "logger": "tensorboard"}
    torch.manual_seed(0)
    return OnPolicyRunner(SyntheticVecEnv(spec, num_envs, "cpu"), agent, log_dir=None, device="cpu")


@pytest.mark.parametrize("model", ["mlp", "lstm", "depth"])
def test_estimated_activations_match_a_real_update(model):
    if model == "depth":
        runner = _depth_runner(16)
    else:
        runner = build_runner(ToyVecEnv(32), ppo_cfg(recurrent=model == "lstm"), seed=0)
    memory = estimate(runner.alg)
    measured = _saved_per_mini_batch(runner)
    assert len(measured) == runner.alg.num_learning_epochs * runner.alg.num_mini_batches
    for samples, saved in measured:
        assert memory.activations(samples) == pytest.approx(saved, rel=0.1), measured


def test_mini_batches_are_raised_until_the_estimate_fits():
    memory = estimate(_depth_runner(16).alg)
    configured = 2
    # halfway between the estimates at 2 and 4 mini-batches: 4 fits, 3 does not split 16 environments evenly
    capacity = (memory.peak(2) + memory.peak(4)) / 2
    assert memory.peak(4) < capacity < memory.peak(2)
    assert fit_mini_batches(memory, configured, capacity, "cuda:0") == 4
    assert fit_mini_batches(memory, configured, memory.peak(2), "cuda:0") == 2
    assert fit_mini_batches(memory, configured, None, "cpu") == 2  # a CPU learner is not checked


def test_a_learner_that_fits_nowhere_is_refused_in_one_line():
    memory = estimate(_depth_runner(16).alg)
    capacity = memory.parameters + memory.per_env(16) * 5.5  # room for 5 environments at one each per mini-batch
    with pytest.raises(LearnerTooLarge) as refused:
        fit_mini_batches(memory, 2, capacity, "cuda:0")
    message = str(refused.value)
    assert "\n" not in message
    assert f"needs about {memory.peak(2) / 1024**3:.1f} GiB at 16 environments and num_mini_batches=2" in message
    assert message.endswith("at most about 5 environments fit this learner")
