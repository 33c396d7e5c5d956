"""RSL-RL PPO configurations of the grasp tasks (reference sizes from the task description).

The state teacher is recurrent (LSTM 1024 then MLP 512-512, critic LSTM 2048 then 1024-512); the image
policies encode each image with a small strided CNN, concatenate proprioception and run a recurrent core
(:class:`dexgrasp.models.RecurrentCNNModel`). The critic always reads the privileged ``critic`` group.
Sizes are fields, so small machines override them (``agent.actor.rnn_hidden_dim=64``).
"""

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import (
    RslRlCNNModelCfg,
    RslRlMLPModelCfg,
    RslRlOnPolicyRunnerCfg,
    RslRlPpoAlgorithmCfg,
    RslRlRNNModelCfg,
)
from isaaclab_tasks.utils import PresetCfg


@configclass
class RslRlRecurrentCNNModelCfg(RslRlCNNModelCfg):
    """Configuration of :class:`dexgrasp.models.RecurrentCNNModel`."""

    class_name: str = "dexgrasp.models:RecurrentCNNModel"
    rnn_type: str | None = "lstm"
    """None: feed-forward (DAgger's aggregated dataset and the guided PPO's cloning dataset need it)."""
    rnn_hidden_dim: int = 512
    rnn_num_layers: int = 1
    spatial_softmax: bool = False
    """End each image's CNN in a spatial softmax (:class:`dexgrasp.models.keypoints.KeypointCNN`): the image point
    of each channel's activation instead of a flattened map, for a policy that must place the object precisely."""
    position_bottleneck: int = 0
    """3: the image features go only to a position head (``position_hidden_dims``), and the MLP head acts on the
    proprioception and that position, detached from the action loss. The distillation's object-position loss
    (``agent.algorithm.aux_obs_group``) trains the head; nothing else does. Feed-forward models only
    (``rnn_type=null``). A student trained on the expert's episodes otherwise reads the object's position off its
    own arm, which the expert moves towards the object."""
    position_hidden_dims: list[int] = [64]


GAUSSIAN = RslRlRNNModelCfg.GaussianDistributionCfg(init_std=0.8)

STATE_ACTOR = RslRlRNNModelCfg(
    hidden_dims=[512, 512],
    activation="elu",
    obs_normalization=True,
    distribution_cfg=GAUSSIAN,
    rnn_type="lstm",
    rnn_hidden_dim=1024,
    rnn_num_layers=1,
)

CRITIC = RslRlRNNModelCfg(
    hidden_dims=[1024, 512],
    activation="elu",
    obs_normalization=True,
    rnn_type="lstm",
    rnn_hidden_dim=2048,
    rnn_num_layers=1,
)

MLP_ACTOR = RslRlMLPModelCfg(
    hidden_dims=[256, 256, 128], activation="elu", obs_normalization=True, distribution_cfg=GAUSSIAN
)
MLP_CRITIC = RslRlMLPModelCfg(hidden_dims=[256, 256, 128], activation="elu", obs_normalization=True)


@configclass
class StateActorCfg(PresetCfg):
    """``presets=mlp`` swaps the recurrent state teacher for a small MLP (what a CPU can train in an hour); on the
    image tasks it swaps the critic only (the image actor drops its recurrent core with ``rnn_type=null``)."""

    lstm = STATE_ACTOR
    mlp = MLP_ACTOR
    default = lstm


@configclass
class StateCriticCfg(PresetCfg):
    lstm = CRITIC
    mlp = MLP_CRITIC
    default = lstm


IMAGE_ACTOR = RslRlRecurrentCNNModelCfg(
    hidden_dims=[512, 512],
    activation="elu",
    obs_normalization=True,
    distribution_cfg=GAUSSIAN,
    cnn_cfg=RslRlCNNModelCfg.CNNCfg(
        output_channels=[16, 32, 32, 32],
        kernel_size=[5, 3, 3, 3],
        stride=[2, 2, 2, 2],
        padding="zeros",
        activation="elu",
    ),
    rnn_hidden_dim=512,
)

PPO = RslRlPpoAlgorithmCfg(
    num_learning_epochs=4,
    num_mini_batches=4,
    learning_rate=3.0e-4,
    schedule="adaptive",
    gamma=0.998,
    lam=0.95,
    entropy_coef=0.002,
    desired_kl=0.016,
    max_grad_norm=1.0,
    value_loss_coef=4.0,
    use_clipped_value_loss=True,
    clip_param=0.2,
)


@configclass
class GraspStatePPORunnerCfg(RslRlOnPolicyRunnerCfg):
    num_steps_per_env = 16
    max_iterations = 10000
    save_interval = 100
    experiment_name = "dexgrasp_state"
    obs_groups = {"actor": ["policy"], "critic": ["critic"]}
    actor = StateActorCfg()
    critic = StateCriticCfg()
    algorithm = PPO


@configclass
class RslRlExpertGuidedPpoAlgorithmCfg(RslRlPpoAlgorithmCfg):
    """:class:`dexgrasp.learners.guided_ppo.ExpertGuidedPPO`: PPO plus a decaying behaviour-cloning term on the
    scripted expert's labels (``scripts/train.py --guide``)."""

    class_name: str = "dexgrasp.learners.guided_ppo:ExpertGuidedPPO"
    guide_coef: float = 1.0
    """Weight of the cloning term at the first update."""
    guide_decay: float = 0.99
    """Factor on the weight after each update (0.99: a hundredth after about 460 updates)."""
    guide_epochs: int = 1
    """Passes of cloning over each rollout."""
    guide_dataset_size: int = 0
    """Labelled steps kept across rollouts (DAgger's aggregated dataset, MLP actors); the cloning passes then draw
    their mini-batches from all of them. 0: from the last rollout only."""
    guide_weights: list[float] | None = None
    """Weight of each action dimension in the cloning loss; None: 1 each. The state task's actions are the palm
    pose (6) and the hand synergies (5): ``[1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]`` leaves the hand to PPO."""


@configclass
class GraspStateGuidedPPORunnerCfg(GraspStatePPORunnerCfg):
    """The state teacher's PPO with the scripted expert's guidance; the actor and critic read what they read
    without it, the labels ride along in the rollout."""

    algorithm = RslRlExpertGuidedPpoAlgorithmCfg(**{k: v for k, v in PPO.to_dict().items() if k != "class_name"})


@configclass
class GraspDepthPPORunnerCfg(GraspStatePPORunnerCfg):
    experiment_name = "dexgrasp_depth"
    obs_groups = {"actor": ["policy", "depth"], "critic": ["critic"]}
    actor = IMAGE_ACTOR
    critic = StateCriticCfg()
    """The privileged critic of the state teacher; ``presets=mlp`` makes it the small MLP (what a CPU trains)."""
    # images are finite by construction; the per-group NaN scan would read every image each step
    check_for_nan = False


@configclass
class GraspDepthGuidedPPORunnerCfg(GraspDepthPPORunnerCfg):
    """The depth policy's PPO with the scripted expert's guidance (the labels ride along in the rollout)."""

    algorithm = RslRlExpertGuidedPpoAlgorithmCfg(**{k: v for k, v in PPO.to_dict().items() if k != "class_name"})


@configclass
class GraspStereoRGBPPORunnerCfg(GraspDepthPPORunnerCfg):
    experiment_name = "dexgrasp_stereo_rgb"
    obs_groups = {"actor": ["policy", "left_rgb", "right_rgb"], "critic": ["critic"]}
