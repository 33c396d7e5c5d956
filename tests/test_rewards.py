"""The ``grasp`` reward preset pays for holding the object: contact from the fingertips' sensors, lift and goal
only in a grasp, reach from the pinch point; the weight curriculum holds up the object's weight (one Isaac Lab
process, 2 environments, the cube)."""

import pytest
from conftest import report_of, run

pytestmark = pytest.mark.slow  # builds an Isaac Lab scene


@pytest.fixture(scope="module")
def report():
    return report_of(run(["tests/sim/check_grasp_reward.py"], timeout=900))


def test_grasp_preset_has_its_terms_and_fingertip_sensors(report):
    assert report["terms"] == ["reach", "tips", "contact", "lift", "goal", "success"]
    assert report["sensors"] == ["index_contact", "middle_contact", "ring_contact", "thumb_contact"]


def test_a_held_and_lifted_object_pays_contact_and_lift(report):
    held = report["held"]
    assert all(h > 0.25 + 0.11 for h in report["held_height"])  # the zero action raised the gripped cube
    assert held["contact"] == [1.0, 1.0] and held["lift"] == [1.0, 1.0]
    assert min(held["reach"]) > 0.7 and min(held["goal"]) > 0.0


def test_an_object_away_from_the_hand_pays_nothing_but_a_little_reach(report):
    away, held = report["away"], report["held"]
    assert away["contact"][1] == 0.0 and away["lift"][1] == 0.0 and away["goal"][1] == 0.0
    assert min(held["tips"]) > 0.3 and away["tips"][1] < 0.05  # fingertips closed on the cube, then far from it
    assert away["reach"][1] < 0.1 < held["reach"][1]
    assert away["contact"][0] == 1.0  # environment 0 still holds its cube


def test_the_weight_curriculum_holds_the_object_up(report):
    """At weight 0 a cube dropped from the spawn height is still there half a second later (falling, it would have
    reached the table, 22 cm lower, in 0.2 s)."""
    assert report["weight_at_start"] == 0.5
    assert all(abs(z - report["spawn_height"]) < 0.01 for z in report["weightless_height"]), report
    # the support is a world-frame force: a cube on its side is not pushed sideways (as a body-frame one was: 0.36 m)
    assert max(report["weightless_on_its_side_drift"]) < 0.01, report


def test_pushes_keep_their_ratio_to_the_weight_the_object_has(report):
    """At a tenth of its weight (0.9 held up) and level 0.5, pushes of up to 0.5 x 10 m/s^2 x 0.1 act both ways
    and the upward force never reaches the weight (unscaled, it would reach 1.4 weights and launch the cube)."""
    low, high = report["pushed_upward_force_per_weight"]
    assert low < 0.88 and 0.92 < high < 1.0, (low, high)


def test_a_cube_that_floated_in_place_was_not_held(report):
    """The weight curriculum steps on held episodes: a cube that never rose 10 cm was not held."""
    assert report["weightless_episodes_held"] == [False, False]


def test_smoothed_synergies_move_a_fraction_of_each_action(report):
    assert report["smoothed_step"] == pytest.approx(0.1, abs=1e-4)


def test_the_curriculum_counts_normal_starts_only(report):
    """(successes, episodes) the ADR curriculum took in: none of the assisted episodes, both normal ones."""
    assert report["curriculum_counts_after_assisted"][1] == 0
    assert report["curriculum_counts_after_normal"][1] == 2


def test_relative_palm_actions_hold_still_at_zero_and_step_along_each_axis():
    """``env.actions.palm.relative_step``: the zero action holds the palm; a full action moves its target 1 cm a
    step, which the palm follows (behind: the arm's joint speed is limited) in the direction asked."""
    r = report_of(run(["tests/sim/check_relative_palm.py"], timeout=900))
    assert max(r["zero_action_drift_m"]) < 0.005
    for axis, moved in r["moves_in_10_steps_m"].items():
        assert all(0.02 < m < 10 * r["step_m"] + 0.005 for m in moved), (axis, moved)
