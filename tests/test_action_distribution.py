"""One initial action std per dimension: RSL-RL builds it from a configuration with a list, samples with those
spreads, learns each one apart, and refuses a list of the wrong length."""

from types import SimpleNamespace

import pytest
import torch
from rsl_rl.algorithms import PPO
from tensordict import TensorDict

NUM_ENVS, STEPS = 64, 8
STDS = [0.3, 0.01, 0.05]


def ppo(init_std, std_type: str = "scalar") -> PPO:
    cfg = {
        "algorithm": {"class_name": "PPO", "num_learning_epochs": 1, "num_mini_batches": 2, "learning_rate": 1e-2},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [16],
            "activation": "elu",
            "distribution_cfg": {
                "class_name": "dexgrasp.models:PerActionGaussianDistribution",
                "init_std": init_std,
                "std_type": std_type,
            },
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [16], "activation": "elu"},
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "num_steps_per_env": STEPS,
        "multi_gpu": None,
    }
    env = SimpleNamespace(num_envs=NUM_ENVS, num_actions=len(STDS))
    return PPO.construct_algorithm(observations(), env, cfg, "cpu")


def observations() -> TensorDict:
    return TensorDict({"policy": torch.randn(NUM_ENVS, 4)}, batch_size=[NUM_ENVS])


def action_std(alg: PPO) -> torch.Tensor:
    """The actor's std per action dimension (its distribution is set by a stochastic pass)."""
    alg.actor(observations(), stochastic_output=True)
    return alg.actor.output_std[0].detach()


@pytest.mark.parametrize("std_type", ["scalar", "log"])
def test_each_dimension_starts_at_its_own_std_and_samples_with_it(std_type):
    torch.manual_seed(0)
    alg = ppo(STDS, std_type)
    assert torch.allclose(action_std(alg), torch.tensor(STDS), rtol=1e-5)
    obs = observations()[:1].expand(4096)
    spread = torch.stack([alg.actor(obs, stochastic_output=True) for _ in range(4)]).reshape(-1, len(STDS)).std(dim=0)
    assert torch.allclose(spread, torch.tensor(STDS), rtol=0.1)


def test_one_value_gives_every_dimension_the_same_std():
    assert torch.allclose(action_std(ppo(0.2)), torch.full((len(STDS),), 0.2))


def test_ppo_learns_each_std_apart():
    """A reward that pays for actions near 0 on the first dimension only: its std shrinks more than the others'."""
    torch.manual_seed(0)
    alg = ppo([0.5, 0.5, 0.5])
    for _ in range(30):
        for _ in range(STEPS):
            obs = observations()
            actions = alg.act(obs)
            alg.process_env_step(obs, -actions[:, 0].abs(), torch.zeros(NUM_ENVS, dtype=torch.long), {})
        alg.compute_returns(observations())
        alg.update()
    std = action_std(alg)
    assert std[0] < 0.9 * std[1:].min(), std


@pytest.mark.parametrize("bad", [[0.3, 0.1], [0.3, 0.0, 0.1]])
def test_a_wrong_list_is_refused_with_the_count_it_needs(bad):
    with pytest.raises(ValueError, match="init_std needs 1 or 3 positive values"):
        ppo(bad)
