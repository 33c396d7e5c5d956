"""Policy models plugged into RSL-RL by class path (``dexgrasp.models:RecurrentCNNModel``)."""

from .recurrent_cnn import RecurrentCNNModel

__all__ = ["RecurrentCNNModel"]
