"""Policy models plugged into RSL-RL by class path (``dexgrasp.models:RecurrentCNNModel``)."""

from .gaussian import PerActionGaussianDistribution
from .recurrent_cnn import RecurrentCNNModel
from .stereo_attention import StereoCrossAttentionModel

__all__ = ["PerActionGaussianDistribution", "RecurrentCNNModel", "StereoCrossAttentionModel"]
