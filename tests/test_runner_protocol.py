"""Handshake, wire dtypes and non-finite observations, through real simulation processes (gloo on CPU)."""

from __future__ import annotations

import json

from dexgrasp.runner import Layout, run_disaggregated
from toy_vec_env import extremes_learner, make_toy_env, report_learner, step_learner, timing_learner, train_learner


def test_handshake_and_wire_dtypes(tmp_path):
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=8, env_counts=[5, 3])
    out = tmp_path / "report.json"
    code = run_disaggregated(
        layout, make_toy_env, {"env_counts": [5, 3]}, report_learner, {"out_path": str(out)}, worker_timeout=10.0
    )
    assert code == 0
    report = json.loads(out.read_text())

    assert (report["num_envs"], report["num_actions"], report["max_episode_length"]) == (8, 4, 12)
    assert report["slices"] == [[0, 5], [5, 8]]
    for spec, n in zip(report["specs"], [5, 3], strict=True):
        assert spec["num_envs"] == n
        assert spec["log_keys"] == ["Episode_Reward/alive", "Metrics/state_norm", "Metrics/final_norm"]
        assert spec["groups"] == {
            "rgb": [[3, 8, 8], "torch.uint8", "torch.uint8"],
            "depth": [[1, 8, 8], "torch.float32", "torch.float16"],
            "proprio": [[7], "torch.float32", "torch.float32"],
        }
    # the learner gets the environment's dtypes back: uint8 stays uint8, float16 depth becomes float32 again
    assert report["learner_dtypes"] == {"rgb": "torch.uint8", "depth": "torch.float32", "proprio": "torch.float32"}
    assert report["rgb_exact"] and report["proprio_exact"] and report["depth_is_float16_rounded"]
    # the learner's write to episode_length_buf reached the simulation processes before they stepped
    assert report["episode_length_after_write"] == [0 if d else 6 for d in report["dones"]]
    assert "nonfinite_obs_resets" in report["log_keys"] and "Metrics/state_norm" in report["log_keys"]
    assert report["time_outs_dtype"] == "torch.bool"
    assert report["cfg"] == {"name": "toy", "env_offset": 0}
    assert report["environ"] == {"WORLD_SIZE": None, "RANK": None, "LOCAL_RANK": None, "CUDA_VISIBLE_DEVICES": ""}


def test_nonfinite_observations_are_reset_and_counted(tmp_path, capfd):
    faults = {
        0: {"nan_at_step": 3, "nan_env": 2},  # reset through env.reset_envs
        1: {"nan_at_step": 2, "nan_env": 1, "resettable": False},  # zeroed and marked done until it times out
    }
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=8)
    out = tmp_path / "report.json"
    code = run_disaggregated(
        layout,
        make_toy_env,
        {"faults": faults},
        train_learner,
        {"log_dir": str(tmp_path / "logs"), "out_path": str(out), "iterations": 1},
        worker_timeout=10.0,
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["nonfinite_obs_resets"] >= 2
    assert "has no reset_envs" in capfd.readouterr().err
    assert report["storage_dtypes"]["rgb"] == "torch.uint8"  # RSL-RL's storage keeps the compact dtype


def test_infinite_and_float16_overflowing_observations(tmp_path):
    """An infinite observation is reset and counted like a NaN; a finite depth beyond float16's range reaches the
    learner clamped to float16's largest value (65504), not as infinity."""
    faults = {0: {"nan_at_step": 2, "nan_env": 1, "nan_value": float("inf")}, 1: {"depth_spike_at_step": 3}}
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=8)
    out = tmp_path / "report.json"
    code = run_disaggregated(
        layout, make_toy_env, {"faults": faults}, extremes_learner, {"out_path": str(out), "steps": 4},
        worker_timeout=10.0,
    )  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    assert report["finite"] == [True] * 4
    assert report["nonfinite_obs_resets"] == 1
    assert report["depth_max"][2] == 65504.0 and max(report["depth_max"][:2] + report["depth_max"][3:]) < 2.0


def test_logs_weigh_processes_by_env_count_and_a_nan_reset_earns_no_reward(tmp_path):
    """Uneven split (5 + 3 environments): a logged mean is the mean over all 8 environments. The environment reset
    for a NaN observation at the third step is done there with zero reward (its reward itself was finite)."""
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=8, env_counts=[5, 3])
    out = tmp_path / "steps.json"
    factory = {"env_counts": [5, 3], "faults": {0: {"nan_at_step": 3, "nan_env": 2}}}
    code = run_disaggregated(
        layout, make_toy_env, factory, step_learner, {"out_path": str(out), "steps": 3}, worker_timeout=10.0
    )
    assert code == 0
    report = json.loads(out.read_text())
    for got, want in zip(report["state_norm"], report["reference_state_norm"], strict=True):
        assert abs(got - want) < 1e-6, (report["state_norm"], report["reference_state_norm"])
    assert report["dones"][2][2] == 1 and report["rewards"][2][2] == 0.0
    assert all(r != 0.0 for r in report["rewards"][1])  # rewards are otherwise non-zero here


def test_per_episode_log_values_reach_the_learner_one_per_episode(tmp_path):
    """A value the environments log per finished episode arrives as one value per episode of all processes (5 + 3
    environments, all timing out at step 12), with the mean of the reference's, so that RSL-RL's mean over an
    iteration weighs episodes rather than steps."""
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=8, env_counts=[5, 3])
    out = tmp_path / "steps.json"
    code = run_disaggregated(
        layout, make_toy_env, {"env_counts": [5, 3]}, step_learner, {"out_path": str(out), "steps": 13}, 10.0
    )
    assert code == 0
    report = json.loads(out.read_text())
    ended = [i for i, values in enumerate(report["reference_final_norm"]) if values is not None]
    assert ended == [11] and len(report["reference_final_norm"][11]) == 8
    for got, want in zip(report["final_norm"], report["reference_final_norm"], strict=True):
        assert (got is None) == (want is None)
        if want is not None:
            assert len(got) == len(want) and abs(sum(got) / len(got) - sum(want) / len(want)) < 1e-6


def test_waiting_times_are_measured(tmp_path):
    """Simulation steps take 0.2 s and the learner thinks 0.3 s before each step: both show in the logged waits."""
    slow = {"step_delay_s": 0.2}
    layout = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=4)
    out = tmp_path / "timing.json"
    code = run_disaggregated(
        layout,
        make_toy_env,
        {"faults": {0: slow, 1: slow}},
        timing_learner,
        {"out_path": str(out), "think_s": 0.3, "steps": 3},
        worker_timeout=10.0,
    )
    assert code == 0
    report = json.loads(out.read_text())
    # The step's own sleep lies inside the measured step, so 0.2 s is a hard floor. A wait starts when the waiting
    # side has sent its half, a moment after the other side began its sleep, so it may fall short of that sleep by
    # the time the sender needs to send and start its clock: on a loaded machine that is milliseconds, so waits
    # are held to 80% of the sleep. Upper bounds leave a loaded machine a second or more; a wait that is not
    # measured (0) still fails.
    for i, log in enumerate(report["logs"]):
        assert 0.2 <= log["Pipeline/sim_step_s"] < 2.0, log
        assert 0.8 * 0.3 <= log["Pipeline/sim_wait_s"], log  # waiting for the learner's next actions
        assert 0.8 * 0.2 <= log["Pipeline/learner_wait_s"] < 3.0, log  # waiting for the simulation's step
        if i:  # per step, not summed (the first wait also covers the learner's start-up)
            assert log["Pipeline/sim_wait_s"] < 1.5, log
    assert report["learner_wait_s"] >= 0.8 * 3 * 0.2
