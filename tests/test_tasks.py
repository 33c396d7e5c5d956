"""Each task builds on the CPU (2 environments, 32x32 images) and behaves as the task description says."""

import math

import pytest
import torch
from conftest import report_of, run

pytestmark = pytest.mark.slow  # every test here builds Isaac Lab scenes

STATE, DEPTH, STEREO = (
    "DexGrasp-KukaAllegro-State-v0",
    "DexGrasp-KukaAllegro-Depth-v0",
    "DexGrasp-KukaAllegro-StereoRGB-v0",
)


@pytest.fixture(scope="module")
def reports():
    cache = {}

    def get(task, res=32):
        if (task, res) not in cache:
            cache[(task, res)] = report_of(run(["tests/sim/check_task.py", task, str(res)], timeout=900))
        return cache[(task, res)]

    return get


def test_state_task_groups_and_actions(reports):
    r = reports(STATE)
    assert r["action_dim"] == 11
    assert r["groups"]["policy"][1] == "float32" and len(r["groups"]["policy"][0]) == 2
    assert r["groups"]["critic"][0][1] > r["groups"]["policy"][0][1]  # privileged extras
    assert set(r["groups"]) == {"policy", "critic"}


def test_depth_task_image_in_range_and_sees_scene(reports):
    r = reports(DEPTH)
    assert r["groups"]["depth"] == [[2, 1, 32, 32], "float32"]
    assert r["depth_finite"] and 0.0 <= r["depth_min"] <= r["depth_max"] <= 1.0
    # the object at the workspace centre is seen where the reference camera projects it, at about its distance,
    # nearer than the table behind it
    assert abs(r["depth_at_object_m"] - r["expected_object_depth_m"]) < 0.06
    assert r["depth_at_object_m"] < r["expected_table_depth_at_object_px"] - 0.01
    assert r["object_pixels"]["depth_camera"] >= 4  # the visibility measure finds it too
    # proprioception only: no object pose in the depth policy's vector group
    assert r["groups"]["policy"][0][1] < reports(STATE)["groups"]["policy"][0][1]


@pytest.mark.parametrize("task", [DEPTH, STEREO])
def test_cameras_render_once_per_policy_step(reports, task):
    assert reports(task, 64 if task == STEREO else 32)["renders_per_step_per_camera"] == 1.0


def test_stereo_pair_disparity_matches_baseline(reports):
    r = reports(STEREO, 64)
    assert r["groups"]["left_rgb"] == [[2, 3, 64, 64], "uint8"]
    assert r["groups"]["right_rgb"] == [[2, 3, 64, 64], "uint8"]
    s = r["stereo"]
    assert s["images_differ"] and s["left_px"] > 4 and s["right_px"] > 4
    assert abs(s["disparity"] - s["expected"]) < 1.0, s
    # the visibility measure counts the object's pixels where the image shows the red cube
    counted = r["object_pixels"]
    assert counted["left_camera"] == pytest.approx(s["left_px"], rel=0.3)
    assert counted["right_camera"] == pytest.approx(s["right_px"], rel=0.3)


def test_rewards_respond_to_their_causes(reports):
    r = reports(STATE)
    assert r["reward_finite"]
    far, near = r["reach"]
    assert near > 2 * far and near > 0.1
    away, at = r["goal"]
    assert math.isclose(at, 1.0, abs_tol=0.02) and away < 0.1
    away, at = r["lift"]
    assert at > away and math.isclose(at, 5.0, rel_tol=0.02)  # curriculum level 0: lift weight 5
    assert r["finger_curl"] > 0.0


def test_resets_and_success(reports):
    r = reports(STATE)
    assert r["out_of_bounds_terminated"] == [True, False]
    assert r["truncated"] == [True, True] and r["time_out_after_steps"] == r["max_episode_length"]
    assert r["success"] == [True, False]


def test_friction_is_drawn_from_the_levels_range(reports):
    """Nominal friction at level 0; at the top level each environment's object draws its own from [0.5, 1.2] (a
    term built with the nominal range and never rebuilt would keep 1.0 at every level)."""
    r = reports(STATE)
    assert r["top_level"] == 1.0
    assert all(mu == pytest.approx(1.0) for mu in r["object_friction_level0"])
    top = r["object_friction_top_level"]
    assert all(0.5 <= mu <= 1.2 for mu in top) and len(set(top)) == len(top), top


def test_depth_artefacts_and_camera_pose_follow_the_level(reports):
    """Level 0: a clean depth image (the same render gives the same observation twice) from the reference pose; at
    the top level the artefacts are drawn afresh each time and each reset moves the camera (up to 3 cm a side)."""
    r = reports(DEPTH)
    assert r["depth_redraw_diff_level0"] == 0.0 and r["depth_redraw_diff_top_level"] > 0.0
    assert all(0.0005 < shift < 0.03 * 3**0.5 for shift in r["camera_shift_top_level_m"]), r


DISTILL_SCENES = {
    # the paper's pair: the stereo student's two RGB cameras and its depth teacher's camera in one scene
    "DexGrasp-KukaAllegro-StereoRGB-FromDepth-v0": {"left_rgb": [2, 3, 32, 32], "right_rgb": [2, 3, 32, 32],
                                                    "depth": [2, 1, 32, 32]},
    # a depth student of the state teacher: the depth camera and the teacher's privileged state
    "DexGrasp-KukaAllegro-Depth-FromState-v0": {"depth": [2, 1, 32, 32], "teacher": [2, None]},
    # a depth student of the scripted expert: its action computed in the scene, as labels
    "DexGrasp-KukaAllegro-Depth-FromScripted-v0": {"depth": [2, 1, 32, 32], "teacher_action_mean": [2, 11],
                                                   "teacher_action_std": [2, 11]},
}  # fmt: skip


@pytest.mark.parametrize("task", DISTILL_SCENES)
def test_distillation_scenes_build_and_render(task):
    """Each (student, teacher) scene builds, renders its student's images and computes its teacher's inputs."""
    report = report_of(run(["tests/sim/build_task.py", task], timeout=900))
    groups = report["groups"]
    for name, shape in DISTILL_SCENES[task].items():
        assert [n if want is not None else None for n, want in zip(groups[name]["shape"], shape)] == shape, name
    for name in (*DISTILL_SCENES[task], "policy", "object_pos"):
        assert groups[name]["finite"], name
        if name != "teacher_action_std":  # the expert's std is one constant
            assert groups[name]["std"] > 0, name  # rendered or computed, not blank
    if task == "DexGrasp-KukaAllegro-StereoRGB-FromDepth-v0":
        # the teacher's depth camera moves with the student's stereo rig, at its centre (the depth task's camera
        # position), not at the nominal pose the rig has left
        pos = {k: torch.tensor(v) for k, v in report["camera_pos_top_level"].items()}
        centre = (pos["left_camera"] + pos["right_camera"]) / 2
        assert (pos["depth_camera"] - centre).norm(dim=-1).max() < 1e-4, pos
