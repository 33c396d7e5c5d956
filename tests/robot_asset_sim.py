"""Run the offline Kuka-Allegro articulation on Newton (MJWarp, CPU) and print measurements as JSON.

Run by ``tests/test_robot_asset.py`` in a subprocess so that the test process holds no Isaac Lab state; it can
also be run by hand: ``python tests/robot_asset_sim.py [--device cpu] [--num-envs 2]``. The last stdout line is
``RESULT <json>``.
"""

from __future__ import annotations

import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("--device", default="cpu")
parser.add_argument("--num-envs", type=int, default=2)
parser.add_argument("--ik-extra", action="store_true", help="also try other palm orientations and targets")
args = parser.parse_args()

T0 = time.time()

from isaaclab.sim import SimulationCfg  # noqa: E402
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonCollisionPipelineCfg  # noqa: E402

DT = 1.0 / 120.0
SIM_CFG = SimulationCfg(
    device=args.device,
    dt=DT,
    physics=NewtonCfg(
        solver_cfg=MJWarpSolverCfg(
            solver="newton",
            integrator="implicitfast",
            njmax=300,
            nconmax=200,
            impratio=1.0,
            cone="pyramidal",
            iterations=100,
            ls_iterations=50,
            use_mujoco_contacts=False,
        ),
        collision_cfg=NewtonCollisionPipelineCfg(rigid_contact_max=2000 * args.num_envs),
        num_substeps=2,
        use_cuda_graph=args.device != "cpu",
    ),
)

from isaaclab.app import launch_simulation  # noqa: E402

_ctx = launch_simulation(SIM_CFG, {"headless": True, "device": args.device})
_ctx.__enter__()

import isaaclab.utils.math as math_utils  # noqa: E402
import torch  # noqa: E402
from dexgrasp.assets.kuka_allegro import (  # noqa: E402
    ARM_JOINT_NAMES,
    FINGERTIP_BODY_NAMES,
    HAND_JOINT_NAMES,
    KUKA_ALLEGRO_CFG,
    PALM_BODY_NAME,
    palm_down_quat,
)
from isaaclab.controllers import DifferentialIKController, DifferentialIKControllerCfg  # noqa: E402
from isaaclab.scene import InteractiveScene, InteractiveSceneCfg  # noqa: E402
from isaaclab.sim import SimulationContext  # noqa: E402
from isaaclab.utils import configclass  # noqa: E402


@configclass
class _SceneCfg(InteractiveSceneCfg):
    robot = KUKA_ALLEGRO_CFG


sim = SimulationContext(SIM_CFG)
scene = InteractiveScene(_SceneCfg(num_envs=args.num_envs, env_spacing=2.5))
sim.reset()
robot = scene["robot"]
n = args.num_envs
T_SETUP = time.time()

result: dict = {
    "joint_names": list(robot.joint_names),
    "body_names": list(robot.body_names),
    "num_joints": robot.num_joints,
}
arm_ids = [robot.joint_names.index(j) for j in ARM_JOINT_NAMES]
hand_ids = [robot.joint_names.index(j) for j in HAND_JOINT_NAMES]
palm_idx = robot.body_names.index(PALM_BODY_NAME)
tip_ids = [robot.body_names.index(b) for b in FINGERTIP_BODY_NAMES]
lower = robot.data.joint_pos_limits.torch[0, :, 0].clone()
upper = robot.data.joint_pos_limits.torch[0, :, 1].clone()
result["joint_limits"] = [[round(float(a), 4), round(float(b), 4)] for a, b in zip(lower, upper)]
default = robot.data.default_joint_pos.torch.clone()
result["default_joint_pos"] = default[0].tolist()
for name in ("joint_stiffness", "joint_damping", "joint_armature", "joint_effort_limits"):
    result[name] = [round(float(v), 4) for v in getattr(robot.data, name).torch[0]]


def step(target: torch.Tensor, steps: int) -> None:
    for _ in range(steps):
        robot.actuators.target_command.set_position_index(value=target)
        scene.write_data_to_sim()
        sim.step(render=False)
        scene.update(DT)


def self_contact_pairs() -> list[str]:
    """Shape pairs the collision pipeline reports between robot shapes (within the contact gap)."""
    from isaaclab_newton.physics import NewtonManager

    contacts, model = NewtonManager._contacts, NewtonManager.get_model()
    if contacts is None:
        return []
    count = int(contacts.rigid_contact_count.numpy()[0])
    s0 = contacts.rigid_contact_shape0.numpy()[:count]
    s1 = contacts.rigid_contact_shape1.numpy()[:count]
    labels = model.shape_label
    pairs = {tuple(sorted((labels[a].split("/")[-2], labels[b].split("/")[-2]))) for a, b in zip(s0, s1)}
    return sorted(f"{a}|{b}" for a, b in pairs)


def set_state(q: torch.Tensor) -> None:
    robot.write_joint_state_to_sim_index(position=q, velocity=torch.zeros_like(q))
    robot.actuators.target_command.set_position_index(value=q)
    scene.write_data_to_sim()
    sim.forward()
    scene.update(0.0)


# 1) the default pose holds under gravity for 1 s
step(default, 120)
q = robot.data.joint_pos.torch
result["hold_max_err"] = float((q - default).abs().max())
result["hold_worst_joint"] = robot.joint_names[int((q - default).abs().max(dim=0).values.argmax())]
result["palm_pos_default"] = robot.data.body_pos_w.torch[0, palm_idx].tolist()
result["palm_quat_default_xyzw"] = robot.data.body_quat_w.torch[0, palm_idx].tolist()
result["tip_pos_default"] = robot.data.body_pos_w.torch[0, tip_ids].tolist()
result["root_pos"] = robot.data.root_pos_w.torch.tolist()
result["self_contacts_default"] = self_contact_pairs()

# 2) PD targets: two different arm poses, fingers flexed, within limits
arm_targets = torch.tensor(
    [[0.4, 0.6, -0.3, -1.2, 0.5, 0.8, -0.6], [-0.5, -0.4, 0.6, 1.0, -0.7, -0.9, 1.2]], dtype=torch.float32
)
finger = torch.tensor([0.2, 0.7, 0.6, 0.5])
thumb = torch.tensor([1.0, 0.4, 0.5, 0.4])
hand_target = torch.cat([finger, -finger * torch.tensor([1.0, 0.2, 0.2, 0.2]), finger * 0.5, thumb])
target = default.clone()
target[:, arm_ids] = arm_targets[torch.arange(n) % 2]
target[:, hand_ids] = hand_target
target = torch.clamp(target, lower, upper)
errs = []
for _k in range(4):  # 0.5 s chunks
    step(target, 60)
    err = (robot.data.joint_pos.torch - target).abs()
    errs.append((float(err[:, arm_ids].max()), float(err[:, hand_ids].max())))
result["track_errs_per_0.5s"] = errs
err = (robot.data.joint_pos.torch - target).abs()
result["track_arm_max_err"] = float(err[:, arm_ids].max())
result["track_hand_max_err"] = float(err[:, hand_ids].max())
result["track_worst_joint"] = robot.joint_names[int(err.max(dim=0).values.argmax())]
result["self_contacts_tracking"] = self_contact_pairs()
result["palm_finite"] = bool(torch.isfinite(robot.data.body_pos_w.torch).all())
result["max_abs_body_pos"] = float(robot.data.body_pos_w.torch.abs().max() - 2.5 * n)

# 3) differential IK on palm_link to a palm-down pose in front of the robot
ik_cfg = DifferentialIKControllerCfg(command_type="pose", use_relative_mode=False, ik_method="dls")
ik = DifferentialIKController(ik_cfg, num_envs=n, device=robot.device)
jac_body = palm_idx - 1 if robot.is_fixed_base else palm_idx
jac_cols = [j + robot.num_base_dofs for j in arm_ids]
result["jacobian_shape"] = list(robot.data.body_link_jacobian_w.torch.shape)


def run_ik(finger_dir, start: torch.Tensor, target_pos=(-0.5, 0.1, 0.55), iters: int = 60, steps_per_ik: int = 4):
    """Closed-loop IK at 30 Hz: each update re-reads the palm pose and Jacobian, as an IK action term does."""
    set_state(start)
    step(start, 10)
    target_pos = torch.tensor(target_pos)
    w, x, y, z = palm_down_quat(finger_dir)
    quat_xyzw = torch.tensor([x, y, z, w]).repeat(n, 1)
    ik.reset()
    ik.set_command(torch.cat([target_pos.repeat(n, 1), quat_xyzw], dim=-1))
    target = start.clone()

    def palm_pose_b():
        return math_utils.subtract_frame_transforms(
            robot.data.root_pos_w.torch,
            robot.data.root_quat_w.torch,
            robot.data.body_pos_w.torch[:, palm_idx],
            robot.data.body_quat_w.torch[:, palm_idx],
        )

    for _ in range(iters):
        palm_pos_b, palm_quat_b = palm_pose_b()
        jac = robot.data.body_link_jacobian_w.torch[:, jac_body][:, :, jac_cols].clone()
        rot_b = math_utils.matrix_from_quat(math_utils.quat_inv(robot.data.root_quat_w.torch))
        jac[:, :3] = torch.bmm(rot_b, jac[:, :3])
        jac[:, 3:] = torch.bmm(rot_b, jac[:, 3:])
        q_arm = robot.data.joint_pos.torch[:, arm_ids]
        q_des = ik.compute(palm_pos_b, palm_quat_b, jac, q_arm)
        target[:, arm_ids] = torch.clamp(q_des, lower[arm_ids], upper[arm_ids])
        step(target, steps_per_ik)
    step(target, 30)
    palm_pos_b, palm_quat_b = palm_pose_b()
    rot = math_utils.matrix_from_quat(palm_quat_b)
    return {
        "target": target_pos.tolist(),
        "pos_err": (palm_pos_b - target_pos).norm(dim=-1).tolist(),
        "rot_err_rad": math_utils.quat_error_magnitude(palm_quat_b, quat_xyzw).tolist(),
        "palm_normal": rot[0, :, 0].tolist(),
        "finger_dir": rot[0, :, 2].tolist(),
        "palm_quat_xyzw": palm_quat_b[0].tolist(),
        "arm_q": robot.data.joint_pos.torch[0, arm_ids].tolist(),
    }


result["ik"] = {"fingers_+y_from_default": run_ik((0.0, 1.0, 0.0), default)}
if args.ik_extra:
    ready = default.clone()
    ready[:, arm_ids] = torch.tensor([0.97, -0.81, -1.31, 1.36, -0.8, -1.3, -1.53])
    result["ik"]["fingers_+y_from_ready"] = run_ik((0.0, 1.0, 0.0), ready)
    result["ik"]["fingers_-x_from_default"] = run_ik((-1.0, 0.0, 0.0), default)
    result["ik"]["fingers_-x_far_from_default"] = run_ik((-1.0, 0.0, 0.0), default, (-0.65, 0.1, 0.55))
    result["ik"]["fingers_+y_low_from_default"] = run_ik((0.0, 1.0, 0.0), default, (-0.55, 0.1, 0.35))
    # close the hand completely: fingers and thumb meet, only self-collision keeps them apart
    fist = default.clone()
    fist[:, hand_ids] = upper[hand_ids] * 0.95
    fist[:, robot.joint_names.index("index_joint_0")] = 0.0
    fist[:, robot.joint_names.index("middle_joint_0")] = 0.0
    fist[:, robot.joint_names.index("ring_joint_0")] = 0.0
    step(fist, 120)
    result["fist_err"] = (robot.data.joint_pos.torch - fist)[0, hand_ids].tolist()
    result["fist_contacts"] = self_contact_pairs()
    result["fist_finite"] = bool(torch.isfinite(robot.data.body_pos_w.torch).all())
    result["fist_max_joint_vel"] = float(robot.data.joint_vel.torch.abs().max())

result["palm_finite_end"] = bool(torch.isfinite(robot.data.body_pos_w.torch).all())
result["time_setup_s"] = round(T_SETUP - T0, 1)
result["time_total_s"] = round(time.time() - T0, 1)
print("RESULT " + json.dumps(result), flush=True)
_ctx.__exit__(None, None, None)
