"""Forward kinematics of the Allegro fingers in the palm frame, from the package's own robot description.

Pure numpy, no simulator: used to design and test the hand synergies (:mod:`dexgrasp.assets.hand_synergies`).
Agrees with the simulated articulation to about a micrometre.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .hand_synergies import FINGER_JOINT_ORDER, FINGERS
from .kuka_allegro_usd import build_spec
from .usd_authoring import rpy_matrix, transform


def _axis_rotation(axis: str, angle: float) -> np.ndarray:
    sign = -1.0 if axis.startswith("-") else 1.0
    c, s = np.cos(sign * angle), np.sin(sign * angle)
    rot = {
        "X": [[1, 0, 0], [0, c, -s], [0, s, c]],
        "Y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
        "Z": [[c, -s, 0], [s, c, 0], [0, 0, 1]],
    }[axis[-1]]
    out = np.eye(4)
    out[:3, :3] = rot
    return out


def fingertip_positions(finger_q: Sequence[float]) -> np.ndarray:
    """Fingertip sphere centres ``(4, 3)`` (index, middle, ring, thumb) in the palm frame for 16 finger joints."""
    joints = {j.name: j for j in build_spec().joints}
    q = dict(zip(FINGER_JOINT_ORDER, finger_q))
    tips = []
    for finger in FINGERS:
        pose = np.eye(4)
        for name in [f"{finger}_joint_{i}" for i in range(4)] + [f"{finger}_tip_mount"]:
            joint = joints[name]
            pose = pose @ transform(joint.xyz, rpy_matrix(*joint.rpy))
            if joint.axis is not None:
                pose = pose @ _axis_rotation(joint.axis, q[name])
        tips.append(pose[:3, 3])
    return np.array(tips)
