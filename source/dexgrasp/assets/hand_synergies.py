"""Postural synergies of the Allegro hand: the 5-D finger action of the grasp task.

The reference system drives the 16 finger joints through the first 5 principal components of a set of
recorded grasp postures; that basis is not public. This basis is written by hand instead, one column per
postural synergy that grasping literature finds first (whole-hand closure, thumb opposition, precision vs
power, finger spread, distal vs proximal flexion), so each coefficient has one meaning and its bounds can be
read off. A user with recorded postures can replace ``BASIS``/``MEAN``/``BOUNDS`` by a PCA fit with
:func:`fit_synergies` (same layout: joints ordered as :data:`FINGER_JOINT_ORDER`).
"""

from __future__ import annotations

import numpy as np

FINGERS = ("index", "middle", "ring", "thumb")
FINGER_JOINT_ORDER = [f"{finger}_joint_{i}" for finger in FINGERS for i in range(4)]
"""Row order of the basis: index 0-3, middle 0-3, ring 0-3, thumb 0-3."""

MEAN = np.array(
    [0.0, 0.3, 0.3, 0.3] * 3 + [0.9, 0.3, 0.3, 0.3],
)
"""A relaxed, slightly open hand: the posture at zero coefficients of the symmetric synergies."""


def _column(fingers=(0.0, 0.0, 0.0, 0.0), per_finger=None, thumb=(0.0, 0.0, 0.0, 0.0)) -> np.ndarray:
    rows = [per_finger[k] if per_finger else fingers for k in range(3)]
    return np.concatenate([np.asarray(r, dtype=float) for r in rows] + [np.asarray(thumb, dtype=float)])


BASIS = np.stack(
    [
        # 1. close the whole hand (power grasp), thumb wraps with it
        _column(fingers=(0.0, 0.6, 0.6, 0.5), thumb=(0.25, 0.4, 0.5, 0.5)),
        # 2. thumb opposition: rotate the thumb under the palm and towards the fingers
        _column(thumb=(0.45, 0.45, 0.0, 0.0)),
        # 3. precision vs power: index and middle flex while the ring finger opens, and the reverse
        _column(per_finger=[(0, 0.5, 0.3, 0.2), (0, 0.4, 0.3, 0.2), (0, -0.5, -0.3, -0.2)]),
        # 4. spread: abduct index and ring away from the middle finger
        _column(per_finger=[(0.3, 0, 0, 0), (0.0, 0, 0, 0), (-0.3, 0, 0, 0)]),
        # 5. distal vs proximal: hook (distal joints) against flat (proximal) flexion
        _column(fingers=(0.0, -0.5, 0.5, 0.5), thumb=(0.0, 0.0, 0.4, 0.4)),
    ],
    axis=1,
)
"""Synergy basis, shape (16, 5); columns are the synergies above, in radians per unit coefficient."""

BOUNDS = (
    [-0.5, -1.0, -1.0, -1.0, -1.0],
    [2.2, 1.0, 1.0, 1.0, 1.0],
)
"""Coefficient bounds: the closure synergy spans open to fully curled, the others are symmetric."""

CURLED_POSTURE = {"thumb_joint_0": 1.396, "thumb_joint_1": 0.601, "thumb_joint_2": 0.338, "thumb_joint_3": 0.608}
"""Curled finger posture used by the regulariser (reference values; thumb 0 clipped to its joint limit)."""


def fit_synergies(postures: np.ndarray, num: int = 5) -> tuple[np.ndarray, np.ndarray, tuple[list, list]]:
    """PCA of recorded finger postures ``(N, 16)``: returns mean, basis ``(16, num)`` and coefficient bounds."""
    mean = postures.mean(axis=0)
    _, _, vt = np.linalg.svd(postures - mean, full_matrices=False)
    basis = vt[:num].T
    coeffs = (postures - mean) @ basis
    return mean, basis, (coeffs.min(axis=0).tolist(), coeffs.max(axis=0).tolist())
