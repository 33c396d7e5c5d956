"""Tests of the offline Kuka iiwa7 + Allegro robot description.

The file-level tests use ``pxr`` only. The simulation test runs ``tests/robot_asset_sim.py`` in a subprocess
(Isaac Lab 3.0 kitless, Newton MJWarp on the CPU, 2 envs) so that pytest holds no simulator state.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from dexgrasp.assets import kuka_allegro_usd as ka

SIM_SCRIPT = Path(__file__).with_name("robot_asset_sim.py")

EXPECTED_JOINTS = [f"iiwa7_joint_{i}" for i in range(1, 8)] + [
    f"{f}_joint_{i}" for f in ("index", "middle", "ring", "thumb") for i in range(4)
]
EXPECTED_BODIES = (
    [f"iiwa7_link_{i}" for i in range(8)]
    + ["palm_link"]
    + [f"{f}_link_{i}" for f in ("index", "middle", "ring", "thumb") for i in range(4)]
    + ["index_tip", "middle_tip", "ring_tip", "thumb_tip"]
)


@pytest.fixture
def asset_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DEXGRASP_ASSET_DIR", str(tmp_path / "assets"))
    return tmp_path / "assets"


def _open(path):
    from pxr import Usd

    return Usd.Stage.Open(path)


def test_name_constants():
    assert list(ka.ROBOT_JOINT_NAMES) == EXPECTED_JOINTS
    assert list(ka.ARM_JOINT_NAMES) + list(ka.HAND_JOINT_NAMES) == EXPECTED_JOINTS
    assert ka.PALM_BODY_NAME == "palm_link"
    assert list(ka.FINGERTIP_BODY_NAMES) == ["index_tip", "middle_tip", "ring_tip", "thumb_tip"]
    assert sorted(ka.ROBOT_BODY_NAMES) == sorted(EXPECTED_BODIES)


def test_usd_is_authored_once_atomically_and_fast(asset_dir):
    start = time.perf_counter()
    path = ka.kuka_allegro_usd_path()
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert Path(path).parent == asset_dir and Path(path).is_file()
    assert ka.content_version() in Path(path).name
    mtime = os.stat(path).st_mtime_ns
    start = time.perf_counter()
    assert ka.kuka_allegro_usd_path() == path
    assert time.perf_counter() - start < 0.05
    assert os.stat(path).st_mtime_ns == mtime, "an up-to-date file must not be rewritten"
    assert [p.name for p in asset_dir.iterdir()] == [Path(path).name], "no temp files may be left behind"
    stage = _open(path)
    layer_data = stage.GetRootLayer().customLayerData
    assert layer_data["dexgrasp:content_version"] == ka.content_version()


def test_concurrent_authoring_never_exposes_a_partial_file(asset_dir):
    code = "from dexgrasp.assets.kuka_allegro_usd import kuka_allegro_usd_path as p; print(p())"
    env = dict(os.environ, DEXGRASP_ASSET_DIR=str(asset_dir))
    cmd = [sys.executable, "-c", code]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    paths = {proc.communicate(timeout=120)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert paths == {ka.expected_usd_path()}
    assert [p.name for p in asset_dir.iterdir()] == [Path(ka.expected_usd_path()).name]
    assert _open(ka.expected_usd_path()).GetPrimAtPath("/kuka_allegro/thumb_tip").IsValid()


def test_usd_structure_and_limits(asset_dir):
    from pxr import UsdGeom, UsdPhysics

    stage = _open(ka.kuka_allegro_usd_path())
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    root = stage.GetDefaultPrim()
    assert root.HasAPI(UsdPhysics.ArticulationRootAPI)
    bodies = [p.GetName() for p in root.GetChildren() if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    assert bodies == list(ka.ROBOT_BODY_NAMES)
    revolute = [p for p in stage.Traverse() if p.IsA(UsdPhysics.RevoluteJoint)]
    assert [p.GetName() for p in revolute] == EXPECTED_JOINTS
    limits = {p.GetName(): UsdPhysics.RevoluteJoint(p) for p in revolute}
    assert limits["iiwa7_joint_2"].GetUpperLimitAttr().Get() == pytest.approx(120.0)
    assert limits["iiwa7_joint_7"].GetLowerLimitAttr().Get() == pytest.approx(-175.0)
    assert math.radians(limits["thumb_joint_0"].GetLowerLimitAttr().Get()) == pytest.approx(0.263, abs=1e-4)
    assert math.radians(limits["index_joint_1"].GetUpperLimitAttr().Get()) == pytest.approx(1.61, abs=1e-4)
    for prim in revolute:
        assert prim.HasAPI(UsdPhysics.DriveAPI, "angular")
    masses = {name: UsdPhysics.MassAPI(root.GetChild(name)).GetMassAttr().Get() for name in bodies}
    assert all(m > 0 for m in masses.values())
    hand = sum(m for n, m in masses.items() if not n.startswith("iiwa7"))
    assert 0.8 < hand < 1.3, hand  # Allegro v4 is about 1 kg


def test_joint_frames_agree_and_palm_pose(asset_dir):
    """Both joint frames of every joint coincide at q = 0, so the bodies start exactly where the joints say."""
    from pxr import Gf, UsdGeom, UsdPhysics

    stage = _open(ka.kuka_allegro_usd_path())
    cache = UsdGeom.XformCache()

    def frame(body_path, pos, rot):
        local = Gf.Matrix4d().SetRotate(Gf.Quatd(rot))
        local.SetTranslateOnly(Gf.Vec3d(pos))
        return np.array(local * cache.GetLocalToWorldTransform(stage.GetPrimAtPath(body_path)))

    joints = [p for p in stage.Traverse() if p.IsA(UsdPhysics.Joint)]
    assert len(joints) == 23 + 1 + 1 + 4  # revolute + world weld + palm mount + fingertips
    for prim in joints:
        joint = UsdPhysics.Joint(prim)
        body0 = joint.GetBody0Rel().GetTargets()
        if not body0:
            continue
        f0 = frame(body0[0], joint.GetLocalPos0Attr().Get(), joint.GetLocalRot0Attr().Get())
        f1 = frame(joint.GetBody1Rel().GetTargets()[0], joint.GetLocalPos1Attr().Get(), joint.GetLocalRot1Attr().Get())
        np.testing.assert_allclose(f0, f1, atol=1e-5, err_msg=prim.GetName())

    palm = np.array(cache.GetLocalToWorldTransform(stage.GetPrimAtPath("/kuka_allegro/palm_link")))
    np.testing.assert_allclose(palm[3, :3], [0.0, 0.0, 1.371], atol=1e-6)
    np.testing.assert_allclose(palm[:3, :3], np.eye(3), atol=1e-6)
    middle_tip = np.array(cache.GetLocalToWorldTransform(stage.GetPrimAtPath("/kuka_allegro/middle_tip")))
    assert middle_tip[3, 2] == pytest.approx(1.371 + 0.0007 + sum(ka._FINGER_LENGTHS), abs=1e-6)


def test_palm_down_quaternion():
    w, x, y, z = ka.palm_down_quat((-1.0, 0.0, 0.0))
    # (0, 0.7071, 0, -0.7071) up to sign: a half turn about (1, 0, -1)/sqrt(2)
    assert abs(w) < 1e-9 and abs(abs(x) - math.sqrt(0.5)) < 1e-9 and abs(y) < 1e-9 and x * z < 0
    w, x, y, z = ka.palm_down_quat((0.0, 1.0, 0.0))
    assert np.allclose(np.abs([w, x, y, z]), 0.5)


@pytest.mark.slow
def test_articulation_on_newton_cpu(tmp_path):
    env = dict(os.environ, DEXGRASP_ASSET_DIR=str(tmp_path / "assets"))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(SIM_SCRIPT), "--device", "cpu", "--num-envs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    elapsed = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    assert proc.returncode == 0 and lines, f"sim failed ({proc.returncode}):\n{output}"
    r = json.loads(lines[-1][len("RESULT ") :])
    print(f"sim subprocess took {elapsed:.1f} s; measurements: {json.dumps(r)}")

    assert r["joint_names"] == EXPECTED_JOINTS
    assert set(EXPECTED_BODIES) <= set(r["body_names"])
    assert r["body_names"][0] == "iiwa7_link_0"
    assert r["jacobian_shape"] == [2, len(r["body_names"]) - 1, 6, 23]

    # configuration reached the solver
    thumb0 = EXPECTED_JOINTS.index("thumb_joint_0")
    assert r["default_joint_pos"][thumb0] == pytest.approx(0.5)
    assert sum(abs(v) for i, v in enumerate(r["default_joint_pos"]) if i != thumb0) == 0.0
    assert r["joint_stiffness"][:7] == [600.0] * 7 and r["joint_stiffness"][7:] == [3.0] * 16
    assert r["joint_effort_limits"][:7] == [176.0, 176.0, 110.0, 110.0, 110.0, 40.0, 40.0]
    assert r["joint_limits"][1] == pytest.approx([-2.0944, 2.0944], abs=1e-3)

    # default pose holds under gravity for 1 s, with no self-contact
    assert r["hold_max_err"] < 0.05, r["hold_worst_joint"]
    assert not [p for p in r["self_contacts_default"] if "palm_link" in p or "iiwa7" in p], r["self_contacts_default"]
    env_x = [p[0] for p in r["root_pos"]]
    np.testing.assert_allclose(np.array(r["palm_pos_default"]) - [env_x[0], 0.0, 0.0], [0.0, 0.0, 1.371], atol=5e-3)

    # PD targets tracked after 2 s
    assert r["track_arm_max_err"] < 0.05, r["track_errs_per_0.5s"]
    assert r["track_hand_max_err"] < 0.1, r["track_worst_joint"]
    assert r["palm_finite"] and r["palm_finite_end"]

    # differential IK on palm_link reaches a palm-down pose 0.5 m in front of the robot
    ik = r["ik"]["fingers_+y_from_default"]
    assert max(ik["pos_err"]) < 0.02, ik
    assert max(ik["rot_err_rad"]) < 0.1, ik
    assert ik["palm_normal"][2] < -0.99, ik
