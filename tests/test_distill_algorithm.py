"""The DAgger algorithm without a simulator: who acts under the schedule, what the loss weighs, what it saves."""

from types import SimpleNamespace

import pytest
import torch
from dexgrasp.learners.distillation.algorithm import GraspDistillation
from dexgrasp.learners.distillation.policy import model_outputs, position_input
from dexgrasp.learners.distillation.recorded_teacher import MEAN_GROUP, STD_GROUP, RecordedTeacher
from tensordict import TensorDict

NUM_ENVS, NUM_ACTIONS = 64, 2
TEACHER_MEAN = 1.0


IMAGES = ["left_rgb", "right_rgb"]


def observations(std=(0.1, 1.0)) -> TensorDict:
    return TensorDict(
        {
            "policy": torch.randn(NUM_ENVS, 5),
            "object_pos": torch.randn(NUM_ENVS, 3),
            **{g: torch.randint(0, 256, (NUM_ENVS, 3, 8, 8), dtype=torch.uint8) for g in IMAGES},
            MEAN_GROUP: torch.full((NUM_ENVS, NUM_ACTIONS), TEACHER_MEAN),
            STD_GROUP: torch.tensor(std).expand(NUM_ENVS, NUM_ACTIONS).clone(),
        },
        batch_size=[NUM_ENVS],
    )


def algorithm(student: dict | None = None, images: bool = False, **overrides) -> GraspDistillation:
    cfg = {
        "algorithm": {
            "class_name": "dexgrasp.learners.distillation.algorithm:GraspDistillation",
            "num_learning_epochs": 1,
            "gradient_length": 4,
            "learning_rate": 1e-2,
            "beta_iterations": 2,
            **overrides,
        },
        "student": {
            "class_name": "MLPModel",
            "hidden_dims": [16],
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.5},
            **(student or {}),
        },
        "teacher": {"class_name": f"{RecordedTeacher.__module__}:RecordedTeacher"},
        "obs_groups": {"student": ["policy", *(IMAGES if images else [])], "teacher": [MEAN_GROUP, STD_GROUP]},
        "num_steps_per_env": 4,
        "multi_gpu": None,
    }
    env = SimpleNamespace(num_envs=NUM_ENVS, num_actions=NUM_ACTIONS)
    return GraspDistillation.construct_algorithm(observations(), env, cfg, "cpu")


def rollout(alg: GraspDistillation, done_every: int = 2) -> list[torch.Tensor]:
    actions = []
    for t in range(4):
        obs = observations()
        actions.append(alg.act(obs))
        dones = torch.full((NUM_ENVS,), int((t + 1) % done_every == 0))
        alg.process_env_step(obs, torch.zeros(NUM_ENVS), dones, {})
    return actions


def label_error(alg: GraspDistillation) -> float:
    """Mean absolute distance of the student's action mean to the teacher's label, on fresh observations."""
    with torch.no_grad():
        return (model_outputs(alg.student, observations())[0] - TEACHER_MEAN).abs().mean().item()


def teacher_driven(actions: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack([(a == TEACHER_MEAN).all(dim=-1) for a in actions])


def test_teacher_drives_first_then_the_student():
    alg = algorithm()
    assert alg.beta == 1.0 and teacher_driven(rollout(alg)).all()
    alg.update()
    assert alg.beta == pytest.approx(0.5)
    # episodes last two steps; each episode's driver is drawn when it starts, with the beta of that moment
    driven = teacher_driven(rollout(alg))
    assert driven[:2].all() and (driven[2] == driven[3]).all() and 0 < driven[3].float().mean() < 1
    alg.update()
    assert alg.beta == 0.0 and not teacher_driven(rollout(alg))[2:].any()


def test_the_student_acts_with_its_mean():
    """A sampled student rarely completes a grasp, so DAgger would never label the states after it."""
    alg = algorithm(beta_start=0.0, beta_end=0.0)
    obs = observations()
    actions = alg.act(obs)
    mean, _, _ = model_outputs(alg.student, obs)
    assert not (actions == TEACHER_MEAN).all(dim=-1).any()
    torch.testing.assert_close(actions, mean.detach())


def test_mean_error_is_weighted_by_the_teachers_inverse_variance():
    alg = algorithm()
    rollout(alg)
    batch = next(alg.storage.generator())
    alg.student.reset()
    terms = alg.losses(batch)
    mean = model_outputs(alg.student, batch.observations)[0].detach()
    error = (mean - TEACHER_MEAN).square()
    weight = torch.tensor([100.0, 1.0])
    expected = (error * weight / weight.mean()).mean()
    assert terms["action_mean"].item() == pytest.approx(expected.item(), rel=1e-4)
    assert terms["action_std"].item() == pytest.approx(((0.5 - torch.tensor([0.1, 1.0])) ** 2).mean().item(), rel=1e-4)
    assert "object_position" in terms


def test_updates_lower_the_loss_and_state_round_trips():
    alg = algorithm(learning_rate=3e-2)
    losses = []
    for _ in range(30):
        rollout(alg)
        losses.append(alg.update()["action_mean"])
    assert losses[-1] < 0.2 * losses[0]
    saved = alg.save()
    fresh = algorithm()
    fresh.load(saved, {"student": True, "optimizer": True}, strict=True)
    assert fresh.num_updates == 30 and fresh.beta == alg.beta
    assert all(
        torch.equal(a, b) for a, b in zip(fresh.aux_head.state_dict().values(), alg.aux_head.state_dict().values())
    )


def test_the_aggregated_dataset_keeps_every_rollout_and_trains_on_them():
    """DAgger's aggregate: steps of earlier rollouts stay (up to the capacity) and every update draws from all."""
    torch.manual_seed(0)
    alg = algorithm(dataset_size=3 * 4 * NUM_ENVS, dataset_batch_size=256, num_learning_epochs=4, learning_rate=3e-2)
    before = label_error(alg)
    first = rollout(alg)
    alg.update()
    assert alg.dataset.size == 4 * NUM_ENVS and alg.storage.step == 0
    held = alg.dataset.steps[: 4 * NUM_ENVS]
    torch.testing.assert_close(held["privileged_actions"], torch.full((4 * NUM_ENVS, NUM_ACTIONS), TEACHER_MEAN))
    kept = held["observations", "policy"][:NUM_ENVS].clone()
    for _ in range(4):
        rollout(alg)
        alg.update()
    # full after three rollouts; the fourth and fifth replaced the oldest steps, the first rollout's among them
    assert alg.dataset.size == 3 * 4 * NUM_ENVS and alg.dataset.cursor == 2 * 4 * NUM_ENVS
    assert not torch.equal(alg.dataset.steps["observations", "policy"][:NUM_ENVS], kept)
    # the updates taught the label: on fresh observations the error is a fraction of the untrained student's (at most
    # 0.27 of it over 60 seeds; a single update's loss on its own mini-batches is too noisy to compare)
    assert label_error(alg) < 0.5 * before and len(first) == 4


def test_the_aggregated_dataset_refuses_a_recurrent_student():
    with pytest.raises(ValueError, match="feed-forward"):
        algorithm({"class_name": "RNNModel", "rnn_type": "gru", "rnn_hidden_dim": 8}, dataset_size=100)


IMAGE_STUDENTS = {
    "stereo": {"class_name": "dexgrasp.models:StereoCrossAttentionModel", "cnn_channels": [8], "token_dim": 8,
               "num_heads": 2, "num_queries": 2},
    "cnn": {"class_name": "dexgrasp.models:RecurrentCNNModel", "rnn_hidden_dim": 8,
            "cnn_cfg": {"output_channels": [8], "kernel_size": [3], "stride": [2], "activation": "elu"}},
    "keypoints": {"class_name": "dexgrasp.models:RecurrentCNNModel", "rnn_hidden_dim": 8, "spatial_softmax": True,
                  "cnn_cfg": {"output_channels": [8], "kernel_size": [3], "stride": [1], "activation": "elu"}},
}  # fmt: skip


@pytest.mark.parametrize("model", sorted(IMAGE_STUDENTS))
def test_an_image_student_without_its_recurrent_core_trains_from_the_aggregated_dataset(model):
    """``rnn_type=None``: the stereo and the CNN (depth) models are feed-forward, the aggregate keeps the uint8
    images, updates learn."""
    torch.manual_seed(0)  # the images are random: the spatial softmax reads them as noise the student must unlearn
    student = IMAGE_STUDENTS[model]
    with pytest.raises(ValueError, match="feed-forward"):
        algorithm(student, images=True, dataset_size=100)
    alg = algorithm({**student, "rnn_type": None}, images=True, dataset_size=8 * NUM_ENVS, learning_rate=1e-2)
    assert not alg.student.is_recurrent and alg.student.get_hidden_state() is None
    losses = []
    for _ in range(15):
        rollout(alg)
        losses.append(alg.update()["action_mean"])
    assert alg.dataset.steps["observations", "left_rgb"].dtype == torch.uint8 and alg.dataset.size == 8 * NUM_ENVS
    assert losses[-1] < 0.2 * losses[0]


def test_a_position_head_on_the_image_features_reads_the_image_and_not_the_proprioception():
    """``aux_input=image``: the object-position head reads the image features alone, so an estimate learned from
    the expert's episodes cannot come from the arm's own state; the whole latent (the default) reads both."""
    cnn = {**IMAGE_STUDENTS["cnn"], "rnn_type": None}
    for student, match in ((cnn | {"rnn_type": "gru"}, "feed-forward"), (None, "feed-forward"), (cnn, "one of")):
        with pytest.raises(ValueError, match=match):
            algorithm(student, images=student is not None, aux_input="image" if match != "one of" else "both")
    torch.manual_seed(0)
    image_head, latent_head = (algorithm(cnn, images=True, aux_input=aux) for aux in ("image", "latent"))
    obs = observations()
    other_arm = obs.clone()
    other_arm["policy"] = torch.randn_like(obs["policy"])
    other_image = obs.clone()
    other_image["left_rgb"] = torch.randint_like(obs["left_rgb"], 0, 256)

    def estimate(alg, o):
        with torch.no_grad():
            latent = alg.student.get_latent(o)
            return alg.aux_head(position_input(alg.student, latent, alg.aux_input))

    assert torch.equal(estimate(image_head, obs), estimate(image_head, other_arm))
    assert not torch.allclose(estimate(image_head, obs), estimate(image_head, other_image))
    assert not torch.allclose(estimate(latent_head, obs), estimate(latent_head, other_arm))
    assert "object_position" in image_head.losses(SimpleNamespace(**image_head_batch(obs)))


def image_head_batch(obs: TensorDict) -> dict:
    return {"observations": obs, "privileged_actions": obs[MEAN_GROUP], "privileged_stds": obs[STD_GROUP]}


def test_a_position_bottleneck_gives_the_actions_only_the_position_the_image_gives():
    """``position_bottleneck=3``: the image features reach the actions only as the position the student's own head
    reads from them; the action loss trains the MLP head and not that position, the object-position loss trains
    the position and the image encoder; a changed arm state leaves the position as it was."""
    cnn = {**IMAGE_STUDENTS["cnn"], "rnn_type": None, "position_bottleneck": 3}
    with pytest.raises(ValueError, match="feed-forward"):
        algorithm(cnn | {"rnn_type": "gru"}, images=True)
    for refused in ({"aux_obs_group": None}, {"aux_dim": 2}):
        with pytest.raises(ValueError, match="aux_obs_group"):
            algorithm(cnn, images=True, **refused)
    torch.manual_seed(0)
    alg = algorithm(cnn, images=True)
    student, obs = alg.student, observations()
    assert student.mlp[-1][0].in_features == student.obs_dim + 3
    other_arm, other_image = obs.clone(), obs.clone()
    other_arm["policy"] = torch.randn_like(obs["policy"])
    other_image["left_rgb"] = torch.randint_like(obs["left_rgb"], 0, 256)
    with torch.no_grad():
        position = [alg.aux_head(student.get_latent(o)) for o in (obs, other_arm, other_image)]
    assert torch.equal(position[0], position[1]) and not torch.allclose(position[0], position[2])

    def gradients(term: str) -> dict[str, bool]:
        alg.optimizer.zero_grad()
        alg.losses(SimpleNamespace(**image_head_batch(obs)))[term].backward()
        parts = {"actions": student.mlp, "position": student.position_head, "images": student.cnns}
        return {k: any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters()) for k, m in parts.items()}

    assert gradients("action_mean") == {"actions": True, "position": False, "images": False}
    assert gradients("object_position") == {"actions": False, "position": True, "images": True}
    trained = {id(p) for group in alg.optimizer.param_groups for p in group["params"]}
    assert {id(p) for p in student.position_head.parameters()} <= trained
    assert alg.save()["aux_head_state_dict"] == {}
