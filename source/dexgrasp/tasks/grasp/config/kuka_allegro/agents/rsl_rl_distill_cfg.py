"""RSL-RL distillation configurations: stereo RGB and depth students, DAgger schedule and losses.

The teacher's model configuration is not here: ``scripts/distill.py`` reads it from the teacher's run
(``params/agent.yaml``), so any trained state or depth policy can teach without editing a file.
Sizes are fields, so small machines override them (``agent.student.rnn_hidden_dim=32``).
"""

from dataclasses import MISSING

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlDistillationAlgorithmCfg, RslRlDistillationRunnerCfg, RslRlMLPModelCfg

from .rsl_rl_ppo_cfg import GAUSSIAN, IMAGE_ACTOR, MLP_ACTOR


@configclass
class StereoStudentModelCfg(RslRlMLPModelCfg):
    """Configuration of :class:`dexgrasp.models.StereoCrossAttentionModel`."""

    class_name: str = "dexgrasp.models:StereoCrossAttentionModel"
    hidden_dims: list[int] = [512, 512]
    activation: str = "elu"
    obs_normalization: bool = True
    distribution_cfg: RslRlMLPModelCfg.DistributionCfg = GAUSSIAN
    trunk: str = "small_cnn"
    """``"small_cnn"`` (strided convolutions, ``cnn_channels``) or ``"resnet18"`` (torchvision, random init)."""
    trunk_weights: str | None = None
    """A torchvision ResNet-18 state dict to start the ``resnet18`` trunk from (nothing is downloaded)."""
    cnn_channels: list[int] = [32, 64, 64]
    token_dim: int = 64
    num_heads: int = 4
    num_queries: int = 4
    """Learned queries that pool the fused tokens of both images into the image latent."""
    rnn_type: str | None = "lstm"
    """``"lstm"`` or ``"gru"``; None: no recurrent core (a feed-forward student, as DAgger's aggregated dataset
    needs)."""
    rnn_hidden_dim: int = 512
    rnn_num_layers: int = 1


@configclass
class GraspDistillationAlgorithmCfg(RslRlDistillationAlgorithmCfg):
    """DAgger with a variance-weighted action loss, a std loss and an object-position auxiliary loss."""

    class_name: str = "dexgrasp.learners.distillation.algorithm:GraspDistillation"
    num_learning_epochs: int = 1
    learning_rate: float = 5.0e-4
    gradient_length: int = 16
    max_grad_norm: float | None = 1.0
    inverse_variance_weighting: bool = True
    """Weight each action dimension's squared mean error by the teacher's inverse variance."""
    std_loss_coef: float = 1.0
    aux_loss_coef: float = 1.0
    aux_obs_group: str | None = "object_pos"
    """Observation group holding the auxiliary target (object position); None disables the head."""
    aux_hidden_dims: list[int] = [64]
    aux_input: str = "latent"
    """What the head reads: "latent", the student's whole latent (its proprioception and its image features), or
    "image", the image features alone (feed-forward image students), so that the position must come from the
    image. Trained on the expert's episodes, a head on the whole latent reads the position off the arm's motion,
    which follows the expert's knowledge of it; once the student drives, that estimate follows its own hand."""
    beta_start: float = 1.0
    """Fraction of episodes driven by the teacher at the first update (DAgger's beta)."""
    beta_end: float = 0.0
    beta_iterations: int = 100
    """Updates over which beta goes linearly from ``beta_start`` to ``beta_end``."""
    dataset_size: int = 0
    """Steps kept in DAgger's aggregated dataset (feed-forward students); each update then trains on
    ``num_learning_epochs`` mini-batches drawn from all of them. 0 trains on the last rollout only."""
    dataset_batch_size: int = 4096


@configclass
class StereoRGBDistillRunnerCfg(RslRlDistillationRunnerCfg):
    """Stereo RGB student (shared CNN trunk, cross-attention, LSTM) distilled from a state or depth teacher."""

    class_name = "dexgrasp.learners.distillation.runner:GraspDistillationRunner"
    num_steps_per_env = 16
    max_iterations = 2000
    save_interval = 50
    experiment_name = "dexgrasp_distill_stereo_rgb"
    obs_groups = {"student": ["policy", "left_rgb", "right_rgb"], "teacher": ["teacher"]}
    student = StereoStudentModelCfg()
    teacher = MISSING
    algorithm = GraspDistillationAlgorithmCfg()
    init_at_random_ep_len: bool = False
    """Start each environment's first episode at a random length, as PPO does. At ADR level 0 every episode
    starts from the same state and lasts as long, so without it all environments are in the same phase of the
    grasp at every update, and each update teaches one phase only."""
    # images are finite by construction; the per-group NaN scan would read every image each step
    check_for_nan = False


@configclass
class DepthDistillRunnerCfg(StereoRGBDistillRunnerCfg):
    """Depth student (the depth policy's recurrent CNN) distilled from a state teacher."""

    experiment_name = "dexgrasp_distill_depth"
    obs_groups = {"student": ["policy", "depth"], "teacher": ["teacher"]}
    student = IMAGE_ACTOR


@configclass
class StateDistillRunnerCfg(StereoRGBDistillRunnerCfg):
    """State student with the state teacher's MLP actor (``presets=mlp``), so PPO can start from it
    (``scripts/train.py --init_actor``)."""

    experiment_name = "dexgrasp_distill_state"
    obs_groups = {"student": ["policy"], "teacher": ["teacher"]}
    student = MLP_ACTOR
