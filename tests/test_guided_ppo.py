"""Expert-guided PPO: without a simulator, the cloning term pulls the policy to the labels, decays, waits for a held
actor, survives a checkpoint, and its absence is an error that names the flag; with one, it trains in the
disaggregated topology."""

from types import SimpleNamespace

import pytest
import torch
from conftest import TINY_DEPTH, run
from dexgrasp.learners.guided_ppo import LABEL_GROUP, ExpertGuidedPPO
from dexgrasp.metrics.curves import read_scalars
from rsl_rl.algorithms import PPO
from tensordict import TensorDict

NUM_ENVS, NUM_ACTIONS, STEPS = 32, 3, 8
LABEL = torch.tensor([0.5, -0.3, 0.2])


def observations(labels: bool = True) -> TensorDict:
    groups = {"policy": torch.randn(NUM_ENVS, 4), "critic": torch.randn(NUM_ENVS, 4)}
    if labels:
        groups[LABEL_GROUP] = LABEL.expand(NUM_ENVS, NUM_ACTIONS).clone()
    return TensorDict(groups, batch_size=[NUM_ENVS])


def algorithm(labels: bool = True, actor: dict | None = None, **guide) -> ExpertGuidedPPO:
    cfg = {
        "algorithm": {
            "class_name": "dexgrasp.learners.guided_ppo:ExpertGuidedPPO",
            "num_learning_epochs": 1,
            "num_mini_batches": 2,
            "learning_rate": 1e-3,
            "schedule": "fixed",
            "entropy_coef": 0.0,
            **guide,
        },
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [16],
            "activation": "elu",
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.1},
            **(actor or {}),
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [16], "activation": "elu"},
        "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
        "num_steps_per_env": STEPS,
        "multi_gpu": None,
    }
    env = SimpleNamespace(num_envs=NUM_ENVS, num_actions=NUM_ACTIONS)
    alg = PPO.construct_algorithm(observations(labels), env, cfg, "cpu")
    assert isinstance(alg, ExpertGuidedPPO)
    return alg


def iterate(alg, labels: bool = True) -> dict:
    """One rollout of random observations and no reward (PPO's advantages carry no signal), then the update."""
    for _ in range(STEPS):
        obs = observations(labels)
        alg.act(obs)
        alg.process_env_step(obs, torch.zeros(NUM_ENVS), torch.zeros(NUM_ENVS, dtype=torch.long), {})
    alg.compute_returns(observations(labels))
    return alg.update()


def label_errors(alg) -> torch.Tensor:
    """Mean absolute distance of the actor's output to the label, per action dimension."""
    with torch.no_grad():
        return (alg.actor(observations()) - LABEL).abs().mean(dim=0)


def label_error(alg) -> float:
    return label_errors(alg).mean().item()


def test_the_cloning_term_pulls_the_policy_to_the_labels_and_decays():
    torch.manual_seed(0)
    alg = algorithm(guide_coef=1.0, guide_decay=0.5, guide_epochs=4)
    before = label_error(alg)
    losses = [iterate(alg) for _ in range(10)]
    assert label_error(alg) < 0.3 * before
    assert losses[-1]["guide"] < 0.1 * losses[0]["guide"]
    assert [round(x["guide_coef"], 4) for x in losses[:3]] == [1.0, 0.5, 0.25]
    assert alg.guide_coef == pytest.approx(0.5**10)


def test_the_aggregated_dataset_keeps_the_labelled_steps_of_every_rollout():
    torch.manual_seed(0)
    alg = algorithm(guide_coef=1.0, guide_decay=1.0, guide_epochs=4, guide_dataset_size=3 * NUM_ENVS * STEPS)
    before = label_error(alg)
    losses = [iterate(alg) for _ in range(8)]
    dataset = alg.guide_dataset
    assert dataset.size == 3 * NUM_ENVS * STEPS and dataset.cursor == 2 * NUM_ENVS * STEPS  # 8 rollouts, 3 kept
    torch.testing.assert_close(dataset.steps[LABEL_GROUP], LABEL.expand(dataset.size, NUM_ACTIONS))
    assert label_error(alg) < 0.3 * before and losses[-1]["guide"] < losses[0]["guide"]


def test_a_dimension_weighted_zero_is_left_to_ppo():
    torch.manual_seed(0)
    alg = algorithm(guide_coef=1.0, guide_decay=1.0, guide_epochs=4, guide_weights=[1.0, 1.0, 0.0])
    before = label_errors(alg)
    for _ in range(10):
        iterate(alg)
    after = label_errors(alg)
    assert (after[:2] < 0.3 * before[:2]).all()
    assert after[2] > 0.5 * before[2]


def test_without_guidance_ppo_alone_leaves_the_labels_far():
    torch.manual_seed(0)
    alg = algorithm(guide_coef=0.0)
    before = label_error(alg)
    losses = [iterate(alg) for _ in range(10)]
    assert all(x["guide"] == 0.0 for x in losses)
    assert label_error(alg) > 0.5 * before


def test_a_held_actor_is_not_guided_and_the_weight_waits():
    alg = algorithm(guide_coef=1.0, guide_decay=0.5)
    for p in alg.actor.parameters():
        p.requires_grad_(False)
    losses = iterate(alg)
    assert losses["guide"] == 0.0 and alg.guide_coef == 1.0


def test_the_weight_survives_a_checkpoint():
    alg = algorithm(guide_coef=1.0, guide_decay=0.5)
    iterate(alg)
    saved = alg.save()
    fresh = algorithm(guide_coef=1.0, guide_decay=0.5)
    fresh.load(saved, None, strict=True)
    assert fresh.guide_coef == 0.5


def test_no_labels_is_an_error_that_names_the_flag():
    alg = algorithm(labels=False)
    with pytest.raises(KeyError, match="--guide"):
        iterate(alg, labels=False)


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="guide_decay"):
        algorithm(guide_decay=0.0)
    with pytest.raises(ValueError, match="one per action"):
        algorithm(guide_weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="feed-forward"):
        algorithm(actor={"class_name": "RNNModel", "rnn_type": "gru", "rnn_hidden_dim": 8}, guide_dataset_size=10)


@pytest.mark.slow
def test_guided_training_in_the_disaggregated_topology(tmp_path):
    """The labels travel with the observations from the simulation processes to the learner (real processes)."""
    proc = run(
        ["scripts/train.py", "--task", "DexGrasp-KukaAllegro-State-v0", "--guide", "--topology", "disaggregated",
         "--sim_devices", "cpu,cpu", "--learner_device", "cpu", "--num_envs", "4", "--max_iterations", "2",
         "--log_dir", str(tmp_path), "presets=mlp,cube", "env.episode_length_s=1", "agent.save_interval=1"],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    saved = torch.load(tmp_path / "model_1.pt", weights_only=False)
    assert saved["guide_coef"] == pytest.approx(0.99**2)  # two guided updates on the learner
    scalars = read_scalars(str(tmp_path))  # the cloning weight is logged as a coefficient, its loss as a loss
    assert [v for _, v in scalars["Coefficients/guide_coef"]] == pytest.approx([1.0, 0.99])
    assert "Loss/guide" in scalars and "Loss/guide_coef" not in scalars
    assert "Coefficients/guide_coef:" in proc.stdout and "Mean guide_coef loss" not in proc.stdout


@pytest.mark.slow
def test_guided_training_of_the_depth_policy(tmp_path):
    """The depth task's guided variant: the recurrent CNN actor clones the expert's labels over the rollout's
    trajectories, and the checkpoint is a policy of the depth task."""
    proc = run(
        ["scripts/train.py", "--task", "DexGrasp-KukaAllegro-Depth-v0", "--guide", "--device", "cpu", "--num_envs", "2",
         "--max_iterations", "2", "--log_dir", str(tmp_path), *TINY_DEPTH, "presets=cube", "agent.save_interval=1"],
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    saved = torch.load(tmp_path / "model_1.pt", weights_only=False)
    assert saved["guide_coef"] == pytest.approx(0.99**2)
    assert saved["infos"]["dexgrasp"]["task"] == "DexGrasp-KukaAllegro-Depth-v0"
