"""Layouts, handshake specs and argument checks of the disaggregated runner (no processes started)."""

from __future__ import annotations

import pytest
import torch
from dexgrasp.runner import Layout, run_disaggregated
from dexgrasp.runner.spec import default_wire_dtype, describe_env
from toy_vec_env import ToyVecEnv, long_learner


def test_multi_node_devices_are_named_per_node():
    """Three nodes of two ranks, checked on node 2 (CPUs only): ``cuda:0`` of node 0 (the learner) and ``cuda:0`` of
    node 1 (a simulation process) are different GPUs, and other nodes' GPUs are not looked for on this one."""
    sims = ["cpu", "cuda:0", "cpu", "cpu", "cpu"]
    layout = Layout(sim_devices=sims, learner_devices=["cuda:0"], num_envs=5, ranks_per_node=2, node=2)
    assert [layout.node_of(r) for r in range(6)] == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="learner device cuda:0 of node 0 is also a simulation device"):
        Layout(sim_devices=["cuda:0", *sims[1:]], learner_devices=["cuda:0"], num_envs=5, ranks_per_node=2, node=2)
    with pytest.raises(ValueError, match="device 'cuda:9' does not exist"):  # this node's devices are checked
        Layout(sim_devices=[*sims[:4], "cuda:9"], learner_devices=["cuda:0"], num_envs=5, ranks_per_node=2, node=2)


def test_default_split_is_even_and_uneven_split_is_reported():
    even = Layout(sim_devices=["cpu", "cpu"], learner_devices=["cpu"], num_envs=16)
    assert even.env_counts == [8, 8] and not even.is_uneven
    uneven = Layout(sim_devices=["cpu"] * 3, learner_devices=["cpu"], num_envs=10)
    assert uneven.env_counts == [4, 3, 3] and uneven.is_uneven
    assert "uneven split of 10 envs" in uneven.describe()
    assert uneven.backend == "gloo"
    assert [uneven.role(r) for r in range(4)] == [("learner", 0), ("sim", 0), ("sim", 1), ("sim", 2)]
    assert uneven.sims_of(0) == [0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sim_devices": [], "learner_devices": ["cpu"], "num_envs": 4}, "no simulation device given"),
        ({"sim_devices": ["cpu"], "learner_devices": [], "num_envs": 4}, "no learner device given"),
        ({"sim_devices": ["cpu"] * 3, "learner_devices": ["cpu"], "num_envs": 2}, "3 simulation processes need"),
        ({"sim_devices": ["gpu0"], "learner_devices": ["cpu"], "num_envs": 4}, "unknown device 'gpu0'"),
        ({"sim_devices": ["cuda"], "learner_devices": ["cpu"], "num_envs": 4}, "unknown device 'cuda'"),
        ({"sim_devices": ["cpu"], "learner_devices": ["cuda:7"], "num_envs": 4}, "device 'cuda:7' does not exist"),
        (
            {"sim_devices": ["cpu", "cpu"], "learner_devices": ["cpu"], "num_envs": 4, "env_counts": [1, 2]},
            "sum to 3, not 4",
        ),
        (
            {"sim_devices": ["cpu"], "learner_devices": ["cpu", "cpu"], "num_envs": 4},
            "learner 1 (cpu) is fed by no simulation process",
        ),
    ],
)
def test_bad_layouts_fail_with_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        Layout(**kwargs)
    assert "\n" not in str(info.value)


def test_learner_gpu_must_not_simulate(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    with pytest.raises(ValueError, match="learner device cuda:1 is also a simulation device"):
        Layout(sim_devices=["cuda:0", "cuda:1"], learner_devices=["cuda:1"], num_envs=8)
    layout = Layout(sim_devices=["cuda:0", "cuda:1", "cuda:2"], learner_devices=["cuda:3"], num_envs=8)
    assert layout.backend == "nccl"
    assert Layout(sim_devices=["cpu"], learner_devices=["cuda:0"], num_envs=8).backend == "gloo"


def test_hybrid_layout_feeds_each_learner_its_own_group():
    hybrid = Layout(sim_devices=["cpu"] * 4, learner_devices=["cpu", "cpu"], num_envs=8)
    assert hybrid.feeds == [0, 0, 1, 1]
    assert hybrid.sims_of(0) == [0, 1] and hybrid.sims_of(1) == [2, 3]
    assert [hybrid.role(r) for r in range(hybrid.world_size)] == [
        ("learner", 0),
        ("learner", 1),
        ("sim", 0),
        ("sim", 1),
        ("sim", 2),
        ("sim", 3),
    ]


def test_run_refuses_main_module_factories():
    def local_factory(**_):
        raise AssertionError

    local_factory.__module__ = "__main__"
    layout = Layout(sim_devices=["cpu"], learner_devices=["cpu"], num_envs=4)
    with pytest.raises(ValueError, match="defined in __main__"):
        run_disaggregated(layout, local_factory, {}, long_learner, {})


def test_default_wire_dtypes():
    assert default_wire_dtype((3, 64, 64), torch.uint8) == torch.uint8
    assert default_wire_dtype((1, 64, 64), torch.float32) == torch.float16
    assert default_wire_dtype((42,), torch.float32) == torch.float32
    assert default_wire_dtype((42,), torch.float64) == torch.float32
    assert default_wire_dtype((2,), torch.bool) == torch.uint8


def test_spec_describes_a_vec_env():
    spec = describe_env(ToyVecEnv(3), sim_index=1, wire_dtypes={"depth": torch.float32})
    groups = {g.key: (g.shape, g.env_dtype, g.wire_dtype) for g in spec.groups}
    assert groups == {
        "rgb": ((3, 8, 8), torch.uint8, torch.uint8),
        "depth": ((1, 8, 8), torch.float32, torch.float32),
        "proprio": ((7,), torch.float32, torch.float32),
    }
    assert (spec.num_envs, spec.num_actions, spec.max_episode_length) == (3, 4, 12)
    assert spec.log_keys == ("Episode_Reward/alive", "Metrics/state_norm", "Metrics/final_norm")
    with pytest.raises(ValueError, match="unknown observation groups"):
        describe_env(ToyVecEnv(3), sim_index=0, wire_dtypes={"stereo": torch.uint8})
