"""The rollout collected through two simulation processes equals a single-process RSL-RL rollout, exactly.

Reference: RSL-RL's own ``OnPolicyRunner`` on one ``ToyVecEnv`` with all 16 environments. Disaggregated: 2
simulation processes with 8 environments each, with the pipelined runner (acting per process while the other
steps) or with ``synchronous=True``. Two iterations, so the second rollout also checks the drain at the update.
8 environments x 4 actions per process keep CPU kernels and the normal sampler batch-size invariant (see
``pipelined_runner``), so everything must match bit for bit; depth is compared after float16 rounding (its wire
dtype).
"""

from __future__ import annotations

import pytest
import torch
from dexgrasp.runner import Layout, run_disaggregated
from rsl_rl.runners import OnPolicyRunner
from toy_vec_env import ToyVecEnv, build_runner, make_toy_env, ppo_cfg, record_rollouts, rollout_learner

SEED, ITERATIONS = 3, 2


@pytest.mark.parametrize(
    ("recurrent", "synchronous"),
    [(False, False), (True, False), (False, True)],
    ids=["mlp-pipelined", "lstm-pipelined", "mlp-synchronous"],
)
def test_rollouts_match_single_process(tmp_path, recurrent, synchronous):
    out = tmp_path / "rollouts.pt"
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    learner_kwargs = {"out_path": str(out), "recurrent": recurrent, "seed": SEED, "iterations": ITERATIONS}
    code = run_disaggregated(
        layout, make_toy_env, {}, rollout_learner, learner_kwargs, worker_timeout=10.0, synchronous=synchronous
    )
    assert code == 0
    got = torch.load(out)

    reference_runner = build_runner(ToyVecEnv(16), ppo_cfg(recurrent=recurrent), SEED, OnPolicyRunner)
    expected = record_rollouts(reference_runner, ITERATIONS)

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
