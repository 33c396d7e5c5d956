"""Postural synergies of the Allegro hand: the 5-D finger action of the grasp task.

The reference system drives the 16 finger joints through the first 5 principal components of recorded grasp
postures; that basis is not public. This basis is designed instead, one column per synergy, so each coefficient
has one meaning and its bounds can be read off:

1. **Grasp closure**, the one that matters most: from :data:`PRESHAPE` to :data:`PINCH`, both found by
   optimising the hand's forward kinematics (:mod:`dexgrasp.assets.hand_kinematics`). In both, the thumb tip and
   the index and middle fingertips sit 10 cm below the palm, facing each other along the finger direction
   (palm +z), centred just in front of the knuckle line. The fingertips are 12.4 cm apart (sphere centres,
   10 cm between surfaces) at coefficient 0 and touch at coefficient 1; in between, the postures interpolate
   linearly and the gap shrinks linearly at constant depth, so a palm-down hand closes on whatever lies under it
   at any width up to 10 cm. Coefficients above 1 squeeze.
2. thumb opposition: rotate the thumb under the palm and towards the fingers;
3. precision vs power: index and middle flex while the ring finger opens, and the reverse;
4. spread: abduct index and ring away from the middle finger;
5. distal vs proximal: hook (distal joints) against flat (proximal) flexion.

A user with recorded postures can replace ``BASIS``/``MEAN``/``BOUNDS`` by a PCA fit with :func:`fit_synergies`
(same layout: joints ordered as :data:`FINGER_JOINT_ORDER`).
"""

from __future__ import annotations

import numpy as np

FINGERS = ("index", "middle", "ring", "thumb")
FINGER_JOINT_ORDER = [f"{finger}_joint_{i}" for finger in FINGERS for i in range(4)]
"""Row order of the basis: index 0-3, middle 0-3, ring 0-3, thumb 0-3."""

PRESHAPE = np.array(
    [-0.239, 0.805, 0.609, -0.065, -0.149, 0.803, 0.391, 0.479, 0.270, 0.591, 0.722, 0.461]
    + [1.396, 1.163, -0.154, 1.608]
)
"""Open pinch: thumb and index/middle tips 10 cm below the palm, 12.4 cm apart along the finger direction."""

PINCH = np.array(
    [-0.194, 1.017, 1.030, 0.136, -0.149, 1.376, -0.038, 1.388, 0.291, 0.964, 0.947, 0.705]
    + [1.333, 0.645, 0.720, 0.529]
)
"""Closed pinch: the same tips touching, 10 cm below the palm."""

PINCH_POINT = (0.100, 0.005, 0.004)
"""Where the closing tips meet, in the palm frame (x palm normal, y thumb/index side, z fingers) [m]."""

MEAN = PRESHAPE
"""The posture at zero coefficients."""


def _column(fingers=(0.0, 0.0, 0.0, 0.0), per_finger=None, thumb=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    rows = [per_finger[k] if per_finger else fingers for k in range(3)]
    return np.concatenate([np.asarray(r, dtype=float) for r in rows] + [np.asarray(thumb, dtype=float)])


BASIS = np.stack(
    [
        PINCH - PRESHAPE,
        _column(thumb=(0.45, 0.45, 0.0, 0.0)),
        _column(per_finger=[(0, 0.5, 0.3, 0.2), (0, 0.4, 0.3, 0.2), (0, -0.5, -0.3, -0.2)]),
        _column(per_finger=[(0.3, 0, 0, 0), (0.0, 0, 0, 0), (-0.3, 0, 0, 0)]),
        _column(fingers=(0.0, -0.5, 0.5, 0.5), thumb=(0.0, 0.0, 0.4, 0.4)),
    ],
    axis=1,
)
"""Synergy basis, shape (16, 5); columns are the synergies above, in radians per unit coefficient."""

BOUNDS = (
    [-0.5, -0.5, -0.5, -0.5, -0.5],
    [1.5, 0.5, 0.5, 0.5, 0.5],
)
"""Coefficient bounds: closure from wider than the preshape to a firm squeeze; the others symmetric."""

CLOSURE_OPEN, CLOSURE_SQUEEZE = 0.0, 1.3
"""Closure coefficients of an open preshape and of a firm grasp (the tips aim 2.7 cm past touching)."""

CURLED_POSTURE = {"thumb_joint_0": 1.396, "thumb_joint_1": 0.601, "thumb_joint_2": 0.338, "thumb_joint_3": 0.608}
"""Curled finger posture used by the regulariser (reference values; thumb 0 clipped to its joint limit)."""


def fit_synergies(postures: np.ndarray, num: int = 5) -> tuple[np.ndarray, np.ndarray, tuple[list, list]]:
    """PCA of recorded finger postures ``(N, 16)``: returns mean, basis ``(16, num)`` and coefficient bounds."""
    mean = postures.mean(axis=0)
    _, _, vt = np.linalg.svd(postures - mean, full_matrices=False)
    basis = vt[:num].T
    coeffs = (postures - mean) @ basis
    return mean, basis, (coeffs.min(axis=0).tolist(), coeffs.max(axis=0).tolist())
