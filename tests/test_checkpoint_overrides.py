"""A checkpoint is rebuilt with the overrides of its run: which of them play and resume take, and which the command
line replaces (configuration resolution only, no simulator)."""

import pytest
from dexgrasp.envs.overrides import with_trained_overrides

STATE = "DexGrasp-KukaAllegro-State-v0"
ENTRY = "rsl_rl_cfg_entry_point"
RECORDED = [
    "presets=res32,mlp",
    "env.episode_length_s=4",
    "agent.num_steps_per_env=8",
    "env.observations.policy.last_action=null",
    "env.events.push_object=null",
]


def test_play_takes_presets_and_what_the_policy_observes_not_the_episodes():
    merged, taken = with_trained_overrides(STATE, ENTRY, RECORDED, ["env.episode_length_s=2"])
    assert taken == ["presets=res32,mlp", "env.observations.policy.last_action=null"]
    assert merged == ["presets=res32,mlp", "env.observations.policy.last_action=null", "env.episode_length_s=2"]


def test_resume_takes_everything_and_the_command_line_wins():
    given = ["agent.num_steps_per_env=16", "presets=res64"]
    merged, taken = with_trained_overrides(STATE, ENTRY, RECORDED, given, resume=True)
    # res64 chooses the image size, as res32 did: res32 is dropped, mlp (the networks) is kept
    assert merged[0] == "presets=mlp,res64"
    assert "agent.num_steps_per_env=16" in merged and "agent.num_steps_per_env=8" not in merged
    assert {"env.episode_length_s=4", "env.events.push_object=null"} <= set(taken)


def test_a_run_without_recorded_overrides_changes_nothing():
    assert with_trained_overrides(STATE, ENTRY, [], ["presets=res32"]) == (["presets=res32"], [])


@pytest.mark.parametrize("resume", [False, True])
def test_a_field_the_task_lacks_is_left_out_when_playing(resume):
    """A student's run may name fields and presets of its distillation scene that the task's own scene lacks."""
    recorded = ["presets=resnet_only", "env.observations.teacher_only.joint_pos=null", RECORDED[3]]
    _, taken = with_trained_overrides(STATE, ENTRY, recorded, [], resume=resume)
    assert taken == (recorded if resume else [RECORDED[3]])
