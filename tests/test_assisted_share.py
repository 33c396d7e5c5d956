"""Assisted starts fade out as the curriculum rises (``env.assisted_start_fade_level``)."""

import pytest
from dexgrasp.tasks.grasp.mdp.events import assisted_share


def test_the_share_falls_linearly_to_none_at_the_fade_level():
    assert assisted_share(0.2, 0.5, 0.0) == pytest.approx(0.2)
    assert assisted_share(0.2, 0.5, 0.25) == pytest.approx(0.1)
    assert assisted_share(0.2, 0.5, 0.5) == 0.0 and assisted_share(0.2, 0.5, 1.0) == 0.0


def test_no_fade_level_keeps_the_share():
    assert assisted_share(0.2, None, 1.0) == 0.2
