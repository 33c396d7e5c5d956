"""The object-visibility bookkeeping: per-episode shares and hidden steps, and the outcome table of a pair."""

import pytest
import torch
from dexgrasp.evaluation.visibility import EpisodeVisibility, VisibilityGap, observability


def test_an_episode_keeps_the_larger_cameras_share_and_counts_hidden_steps():
    seen = EpisodeVisibility(2)
    seen.add(torch.tensor([[0.01, 0.03], [0.0, 0.0]]))
    seen.add(torch.tensor([[0.0, 0.0], [0.02, 0.0]]))
    assert seen.close(0) == {"object_share": pytest.approx(0.015), "object_hidden": 0.5}
    assert seen.close(1) == {"object_share": pytest.approx(0.01), "object_hidden": 0.5}
    assert seen.close(0) is None  # closing starts the next episode: no step yet
    seen.add(torch.tensor([[0.04, 0.0], [0.0, 0.0]]))
    assert seen.close(0) == {"object_share": pytest.approx(0.04), "object_hidden": 0.0}


def test_gaps_are_binned_by_visibility():
    gap = VisibilityGap(2, ["hand"])
    gap.add(torch.tensor([[0.0, 0.0], [0.02, 0.01]]), {"hand": torch.tensor([0.8, 0.1])})
    gap.end(torch.tensor([0, 1]))
    bins = gap.summary()
    assert bins["hidden"] == {"share_of_steps": 0.5, "gap_hand": pytest.approx(0.8)}
    assert bins["over 1%"]["gap_hand"] == pytest.approx(0.1) and bins["(0%, 0.5%]"]["gap_hand"] is None
    assert [row["object_hidden"] for row in gap.episodes] == [1.0, 0.0]


def test_outcomes_of_a_pair_carry_the_students_view():
    teacher = [{"episode": k, "success": s} for k, s in enumerate([True, True, False, False])]
    student = [
        {"episode": k, "success": s, "object_share": share, "object_hidden": hidden}
        for k, (s, share, hidden) in enumerate(
            [(True, 0.02, 0.0), (False, 0.001, 0.6), (True, 0.01, 0.1), (False, 0.0, 1.0)]
        )
    ]
    result = observability(teacher, list(reversed(student)))  # matched by episode, not by order
    cells = result["outcomes"]
    counts = {k: v["episodes"] for k, v in cells.items()}
    assert counts == {"both": 1, "teacher_only": 1, "student_only": 1, "neither": 1}
    assert cells["teacher_only"]["mean_object_share"] == pytest.approx(0.001)
    assert cells["teacher_only"]["mean_object_hidden"] == pytest.approx(0.6)
    view = result["student_view"]  # episode 1 (teacher only) and 3 (neither) hid the object over half the time
    assert view["mostly_hidden"] == {"episodes": 2, "teacher_successes": 1, "student_successes": 0}
    assert view["mostly_seen"] == {"episodes": 2, "teacher_successes": 1, "student_successes": 2}
