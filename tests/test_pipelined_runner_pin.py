"""The pipelined runner repeats ``OnPolicyRunner.learn`` and sets ``PPO``'s transition (see its module doc): it is
checked against one RSL-RL version, and another one must fail here until the loop is checked again."""

from importlib.metadata import version

from dexgrasp.runner.pipelined_runner import CHECKED_RSL_RL_VERSION


def test_rsl_rl_is_the_version_the_pipelined_loop_was_checked_against():
    assert version("rsl-rl-lib") == CHECKED_RSL_RL_VERSION, (
        "RSL-RL changed: compare OnPolicyRunner.learn and PPO.act/process_env_step with"
        " dexgrasp.runner.pipelined_runner, then update CHECKED_RSL_RL_VERSION"
    )
