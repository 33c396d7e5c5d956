"""The evaluation's statistics and episode plan, without a simulator: intervals, the paired test, and episodes that
depend on the seed and the episode index alone."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from dexgrasp.evaluation import stats
from dexgrasp.evaluation.episode_plan import EpisodePlan, balanced_objects, episode_seed


def test_wilson_interval_matches_the_closed_form_and_stays_in_bounds():
    low, high = stats.wilson(128, 256)
    assert low == pytest.approx(0.4392, abs=1e-4) and high == pytest.approx(0.5608, abs=1e-4)
    assert stats.wilson(0, 20)[0] == 0.0 and 0.15 < stats.wilson(0, 20)[1] < 0.17
    assert stats.wilson(20, 20)[1] == 1.0 and stats.wilson(20, 20)[0] > 0.8
    assert stats.rate([True, False, True, True]) == {"k": 3, "n": 4, "rate": 0.75, "ci95": [0.3006, 0.9544]}


def test_exact_mcnemar_is_the_two_sided_binomial_test_of_the_discordant_pairs():
    assert stats.mcnemar_exact(10, 2) == pytest.approx(2 * (1 + 12 + 66) / 2**12)
    assert stats.mcnemar_exact(2, 10) == stats.mcnemar_exact(10, 2)
    assert stats.mcnemar_exact(0, 0) == 1.0 and stats.mcnemar_exact(5, 5) == 1.0
    assert stats.mcnemar_exact(0, 6) == pytest.approx(2 / 64)


def _rows(outcomes, objects):
    return [{"episode": k, "object": o, "success": s, "lifted": s} for k, (s, o) in enumerate(zip(outcomes, objects))]


def test_paired_comparison_counts_discordant_episodes_and_resamples_objects():
    objects = [k % 8 for k in range(64)]
    first = [o < 6 for o in objects]  # succeeds on objects 0-5
    second = [o < 3 for o in objects]  # on objects 0-2
    result = stats.paired_comparison(_rows(first, objects), _rows(second, objects))
    assert (result["only_first"], result["only_second"]) == (24, 0)
    assert result["difference"] == pytest.approx(24 / 64)
    assert result["mcnemar_p"] < 1e-6
    low, high = result["difference_ci95_object_bootstrap"]
    # 8 objects: the interval is that of 8 samples, far wider than 64 independent episodes would give
    assert 0.0 < low < 0.375 < high and high - low > 0.3
    assert result["objects"] == 8


def test_paired_comparison_refuses_evaluations_of_different_episodes():
    rows = _rows([True, False], [0, 1])
    with pytest.raises(ValueError, match="different episodes"):
        stats.paired_comparison(rows, rows[:1])
    with pytest.raises(ValueError, match="different objects"):
        stats.paired_comparison(rows, _rows([True, False], [1, 1]))


def test_object_bootstrap_of_one_object_collapses_to_the_observed_rate():
    assert stats.cluster_bootstrap_rate([True, False, True, True], [0, 0, 0, 0]) == (0.75, 0.75)


def test_episode_seeds_depend_on_the_seed_and_the_episode_only():
    assert episode_seed(0, 3) == episode_seed(0, 3)
    seeds = {episode_seed(s, k) for s in range(4) for k in range(64)}
    assert len(seeds) == 256


def test_objects_are_balanced_and_shuffled_by_the_seed():
    order = balanced_objects(0, 40, 16)
    assert Counter(order[:16]) == Counter(range(16)) and Counter(order[16:32]) == Counter(range(16))
    assert max(Counter(order).values()) - min(Counter(order).values()) <= 1
    assert balanced_objects(0, 40, 16) == order and balanced_objects(1, 40, 16) != order


def test_a_plan_gives_each_environment_the_episodes_of_its_object():
    plan = EpisodePlan(seed=5, episodes=8, num_objects=2, env_objects=[0, 0, 1])
    first = [plan.start(i) for i in range(3)]
    assert first[0] == episode_seed(5, plan.running[0]) and plan.finished == [None, None, None]
    assert [plan.objects[plan.running[i]] for i in range(3)] == [0, 0, 1]
    # a reset before the episode took a step restarts it: same seed, nothing finished
    again = plan.start(2, ran=False)
    assert again == first[2] and plan.finished[2] is None
    done = []
    for _ in range(8):
        for i in range(3):
            plan.start(i)
            if plan.finished[i] is not None:
                done.append(plan.finished[i])
    assert sorted(done) == list(range(8)), "every planned episode ends once"
    assert plan.running == [None, None, None], "environments idle once their object's episodes are done"
    assert plan.idle_seed(0) != plan.idle_seed(1)


def test_a_plan_draws_over_the_objects_the_environments_hold():
    plan = EpisodePlan(seed=0, episodes=8, num_objects=4, env_objects=[1, 3])
    assert plan.held == 2 and sorted(set(plan.objects)) == [1, 3] and Counter(plan.objects) == {1: 4, 3: 4}
    full = EpisodePlan(seed=0, episodes=8, num_objects=4, env_objects=[0, 1, 2, 3])
    assert full.objects == balanced_objects(0, 8, 4)


def test_the_plan_interval_width_at_256_episodes():
    """The issue's sizing: 256 episodes give about +-0.06 around 0.5."""
    low, high = stats.wilson(128, 256)
    assert math.isclose((high - low) / 2, 0.061, abs_tol=0.002)
