"""The grasp synergy closes an opposed pinch under the palm (forward kinematics of the package's own hand)."""

import numpy as np
import pytest
import torch
from dexgrasp.assets import hand_synergies as hs
from dexgrasp.tasks.grasp.mdp.actions import hinged, unhinged
from dexgrasp.assets.hand_kinematics import fingertip_positions

INDEX, MIDDLE, RING, THUMB = range(4)


def tips(closure: float) -> np.ndarray:
    return fingertip_positions(hs.MEAN + closure * hs.BASIS[:, 0])


def gap(t: np.ndarray) -> float:
    """Distance along the finger direction between the thumb tip and the index/middle tips (sphere centres)."""
    return float((t[INDEX, 2] + t[MIDDLE, 2]) / 2 - t[THUMB, 2])


def test_preshape_is_open_and_pinch_closes_at_the_pinch_point():
    open_, closed = tips(0.0), tips(1.0)
    assert gap(open_) == pytest.approx(0.124, abs=0.005)  # 10 cm between the 12 mm fingertip spheres
    assert gap(closed) == pytest.approx(0.024, abs=0.005)  # touching
    meet = (closed[INDEX] + closed[MIDDLE]) / 4 + closed[THUMB] / 2
    assert meet == pytest.approx(np.array(hs.PINCH_POINT), abs=0.01)


@pytest.mark.parametrize("closure", np.linspace(0.0, 1.0, 6))
def test_closing_keeps_the_tips_facing_at_constant_depth(closure):
    t = tips(closure)
    assert t[[INDEX, MIDDLE, THUMB], 0] == pytest.approx([0.1] * 3, abs=0.008)  # 10 cm below the palm
    assert abs(t[THUMB, 1] - (t[INDEX, 1] + t[MIDDLE, 1]) / 2) < 0.012  # opposed, not sweeping sideways
    assert gap(t) == pytest.approx(0.124 - 0.104 * closure, abs=0.01)  # shrinks linearly with the coefficient


def test_actions_map_onto_coefficients():
    low, high = torch.tensor(hs.BOUNDS[0]), torch.tensor(hs.BOUNDS[1])
    assert low[0] < hs.CLOSURE_OPEN < hs.CLOSURE_SQUEEZE <= high[0]
    for zero in (0.5 * (low + high), torch.zeros(5)):  # the default middle, and the open preshape at zero
        assert torch.allclose(hinged(-torch.ones(5), low, zero, high), low)
        assert torch.allclose(hinged(torch.zeros(5), low, zero, high), zero)
        assert torch.allclose(hinged(torch.ones(5), low, zero, high), high)
        actions = torch.linspace(-1.0, 1.0, 25)[:, None].expand(-1, 5)
        coefficients = hinged(actions, low, zero, high)
        assert (coefficients.diff(dim=0) >= 0).all()  # monotone: one more unit of action never opens the hand
        assert torch.allclose(unhinged(coefficients, low, zero, high), actions, atol=1e-6)
    middle = hinged(torch.tensor([0.5] * 5), low, 0.5 * (low + high), high)  # the default is the affine map
    assert torch.allclose(middle, low + 0.75 * (high - low))
