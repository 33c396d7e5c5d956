"""MDP terms of the grasp task: Isaac Lab's stock terms plus the grasp-specific ones defined here."""

from isaaclab.envs.mdp import *  # noqa: F401, F403

from .actions import *  # noqa: F401, F403
from .curriculum import *  # noqa: F401, F403
from .events import *  # noqa: F401, F403
from .observations import *  # noqa: F401, F403
from .rewards import *  # noqa: F401, F403
from .terminations import *  # noqa: F401, F403
