"""The rollout collected through several simulation processes equals a single-process RSL-RL rollout, exactly.

Reference: RSL-RL's own ``OnPolicyRunner`` on one ``ToyVecEnv`` with all environments. Disaggregated: 2 simulation
processes with 8 environments each, with the pipelined runner (acting per process while the other steps) or with
``synchronous=True``; and 3 processes with an uneven split (8, 16, 8), the observation normaliser on and a lockstep
curriculum that moves (the reference follows it as the learner applies it, see ``LockstepToyVecEnv``). Two
iterations, so the second rollout also checks the drain at the update (and the normaliser's first update). 8 or 16
environments x 4 actions per process keep CPU kernels and the normal sampler batch-size invariant (see
``pipelined_runner``), so everything must match bit for bit; depth is compared after float16 rounding (its wire
dtype).
"""

from __future__ import annotations

import pytest
import torch
from dexgrasp.runner import Layout, run_disaggregated
from rsl_rl.runners import OnPolicyRunner
from toy_vec_env import (
    LockstepToyVecEnv,
    ToyVecEnv,
    build_runner,
    make_toy_env,
    ppo_cfg,
    record_rollouts,
    rollout_learner,
    toy_curriculum,
)

SEED, ITERATIONS = 3, 2


@pytest.mark.parametrize(
    ("recurrent", "synchronous", "env_counts", "lockstep"),
    [
        (False, False, [8, 8], False),
        (True, False, [8, 8], False),
        (False, True, [8, 8], False),
        (False, False, [8, 16, 8], True),
    ],
    ids=["mlp-pipelined", "lstm-pipelined", "mlp-synchronous", "mlp-pipelined-3-uneven-normalised-curriculum"],
)
def test_rollouts_match_single_process(tmp_path, recurrent, synchronous, env_counts, lockstep):
    out = tmp_path / "rollouts.pt"
    num_envs = sum(env_counts)
    layout = Layout(["cpu"] * len(env_counts), ["cpu"], num_envs=num_envs, env_counts=env_counts)
    learner_kwargs = {"out_path": str(out), "recurrent": recurrent, "seed": SEED, "iterations": ITERATIONS}
    learner_kwargs.update(normalize=lockstep, curriculum=lockstep)
    code = run_disaggregated(
        layout,
        make_toy_env,
        {"env_counts": env_counts},
        rollout_learner,
        learner_kwargs,
        worker_timeout=10.0,
        synchronous=synchronous,
    )
    assert code == 0
    result = torch.load(out)
    got = result["rollouts"]

    reference_env = LockstepToyVecEnv(num_envs, toy_curriculum()) if lockstep else ToyVecEnv(num_envs)
    cfg = ppo_cfg(recurrent=recurrent, normalize=lockstep)
    expected = record_rollouts(build_runner(reference_env, cfg, SEED, OnPolicyRunner), ITERATIONS)
    if lockstep:
        assert result["curriculum_step"] == reference_env.curriculum.step > 0, "the curriculum should have moved"

    assert len(got) == len(expected) == ITERATIONS
    for it, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert want["dones"].any(), "the rollout should contain episode ends"
        want["obs"]["depth"] = want["obs"]["depth"].half().float()
        for group in ("rgb", "depth", "proprio"):
            assert torch.equal(want["obs"][group], have["obs"][group]), f"iteration {it}: observations {group}"
        for name in ("actions", "rewards", "dones", "values", "actions_log_prob"):
            assert torch.equal(want[name], have[name]), f"iteration {it}: {name}"
        if recurrent:
            for name in ("hidden_actor", "hidden_critic"):
                assert all(torch.equal(a, b) for a, b in zip(want[name], have[name], strict=True)), name
