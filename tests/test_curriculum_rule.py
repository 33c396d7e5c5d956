"""The curriculum rule the task and the multi-process learners share: a success-rate window deciding one step."""

from dexgrasp.curriculum_rule import CurriculumRule


def test_steps_up_once_per_full_window_that_passes_the_threshold():
    rule = CurriculumRule(num_steps=3, threshold=0.5, min_episodes=4)
    rule.add(3, 3)
    assert rule.step == 0 and rule.last_rate == 0.0  # the window is not full yet
    rule.add(0, 1)
    assert rule.step == 1 and rule.last_rate == 0.75
    rule.add(2, 4)
    assert rule.step == 1 and rule.last_rate == 0.5  # the rate must pass the threshold, not reach it
    for _ in range(5):
        rule.add(4, 4)
    assert rule.step == 3 and rule.level == 1.0  # never past num_steps


def test_measuring_only_leaves_the_step_to_someone_else():
    rule = CurriculumRule(num_steps=10, threshold=0.1, min_episodes=2, step=4)
    rule.add(2, 2, advance=False)
    assert rule.step == 4 and rule.last_rate == 1.0


def test_state_round_trip_is_clamped():
    rule = CurriculumRule(num_steps=5, threshold=0.4, min_episodes=8)
    rule.load({"step": 9})
    assert rule.state() == {"step": 5, "num_steps": 5}
    rule.load({})
    assert rule.step == 5
    rule.load({"step": -1})
    assert rule.level == 0.0
    assert CurriculumRule(num_steps=0, threshold=0.4, min_episodes=8).level == 0.0


def test_the_environment_curriculum_passes_each_new_level_on_and_counts_for_its_learner():
    from dexgrasp.tasks.grasp.grasp_curriculum import GraspCurriculum

    levels = []
    curriculum = GraspCurriculum(num_steps=4, threshold=0.5, min_episodes=4, on_level=levels.append)
    assert levels == [] and curriculum.level == 0.0  # building it tells no one
    curriculum.record(3, 4)
    assert curriculum.step == 1 and levels == [0.25]
    assert curriculum.drain_outcomes() == (3, 4) and curriculum.drain_outcomes() == (0, 0)
    curriculum.follow(3)  # a learner decides from now on: the local rule only measures
    curriculum.record(4, 4)
    assert curriculum.step == 3 and curriculum.last_rate == 1.0 and levels == [0.25, 0.75]
    curriculum.load({"step": 9})
    assert curriculum.state() == {"step": 4, "num_steps": 4} and levels[-1] == 1.0
