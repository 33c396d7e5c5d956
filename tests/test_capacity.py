"""The memory model's capacity formulas against hand-computed cases."""

from __future__ import annotations

import math

import pytest
from dexgrasp.metrics.capacity import (
    MemoryModel,
    best_split,
    capacity_report,
    data_parallel_capacity,
    disaggregated_capacity,
    fit_linear,
)

# C = 80, F_sim = M = 30, S = R = 1 (any unit): DP fits 80 - 60 = 20 per device over S + R = 2 -> 10 each, 40 on 4.
HEADLINE = MemoryModel(f_sim=30.0, s=1.0, m=30.0, r=1.0)


def test_data_parallel_headline():
    assert data_parallel_capacity(HEADLINE, 4, 80.0) == pytest.approx(40.0)


def test_disaggregated_splits_by_hand():
    # k sims hold k * 50; 4 - k learners hold (4 - k) * 50
    assert disaggregated_capacity(HEADLINE, 4, 80.0, 3) == pytest.approx(50.0)
    assert disaggregated_capacity(HEADLINE, 4, 80.0, 2) == pytest.approx(100.0)
    assert disaggregated_capacity(HEADLINE, 4, 80.0, 1) == pytest.approx(50.0)


def test_headline_ratio_four_devices():
    report = capacity_report(HEADLINE, 4, 80.0)
    assert report["data_parallel"]["num_envs"] == 40
    assert report["disaggregated_best"] == {"sim_devices": 2, "learners": 2, "num_envs": 100, "exact": 100.0}
    assert report["ratio_best"] == pytest.approx(2.5)
    # the paper's layout (3 simulation devices + 1 learner)
    assert report["disaggregated_one_learner"]["sim_devices"] == 3
    assert report["ratio_one_learner"] == pytest.approx(50.0 / 40.0)


def test_learner_heavy_model_prefers_more_learners():
    # rollout images dominate: R = 3 S; C = 100, F_sim = 20, M = 10
    model = MemoryModel(f_sim=20.0, s=1.0, m=10.0, r=3.0)
    assert data_parallel_capacity(model, 4, 100.0) == pytest.approx(4 * 70 / 4)  # 70
    # k=1: min(80, 3*90/3=90)=80; k=2: min(160, 60)=60; k=3: min(240, 30)=30
    assert best_split(model, 4, 100.0) == (1, pytest.approx(80.0))
    assert best_split(model, 4, 100.0, max_learners=1) == (3, pytest.approx(30.0))


def test_fixed_costs_beyond_capacity_give_zero():
    model = MemoryModel(f_sim=60.0, s=1.0, m=30.0, r=1.0)
    assert data_parallel_capacity(model, 4, 80.0) == 0.0
    assert capacity_report(model, 4, 80.0)["ratio_best"] == math.inf


def test_bad_split_rejected():
    with pytest.raises(ValueError):
        disaggregated_capacity(HEADLINE, 4, 80.0, 4)
    with pytest.raises(ValueError):
        best_split(HEADLINE, 1, 80.0)


def test_linear_fit_exact_and_least_squares():
    fit = fit_linear([2, 4, 8], [110.0, 120.0, 140.0])
    assert fit.fixed == pytest.approx(100.0)
    assert fit.per_env == pytest.approx(5.0)
    assert fit(10) == pytest.approx(150.0)
    noisy = fit_linear([1, 2, 3, 4], [1.0, 3.0, 2.0, 4.0])  # slope 0.8, intercept 0.5
    assert noisy.per_env == pytest.approx(0.8)
    assert noisy.fixed == pytest.approx(0.5)


def test_linear_fit_needs_two_env_counts():
    with pytest.raises(ValueError):
        fit_linear([4, 4], [1.0, 2.0])
    with pytest.raises(ValueError):
        fit_linear([1, 2], [1.0])


def test_capacity_predicted_on_the_measured_device():
    from dexgrasp.metrics.benchmark import predicted_on_device

    model = {"f_sim": 20.0, "s": 2.0, "m": 10.0, "r": 0.5}
    results = {"model": model, "simulation": [{"cuda_total_bytes": 80.0}], "learner": [{"cuda_total_bytes": 80.0}]}
    assert predicted_on_device(results) == {"simulation": 30, "learner": 140}  # (80-20)/2, (80-10)/0.5
    # on the CPU (no device total) nothing is predicted; learner-only runs predict the learner alone
    assert predicted_on_device({"model": model, "simulation": [{"cuda_total_bytes": None}], "learner": [{}]}) == {}
    learner_only = {"learner_model": {"m": 10.0, "r": 0.5}, "learner": [{"cuda_total_bytes": 40.0}]}
    assert predicted_on_device(learner_only) == {"learner": 60}


def test_per_env_simulation_memory_is_floored_at_its_buffers():
    from dexgrasp.metrics.benchmark import fit_model

    def sim(n, rss):
        return {"num_envs": n, "rss_bytes": rss, "cuda_used_bytes": None, "obs_bytes": 100 * n, "camera_bytes": 50 * n}

    def learner(n):
        return {"num_envs": n, "cuda_max_allocated_bytes": None, "storage_bytes": 10 * n, "model_bytes": 7,
                "optimizer_bytes": 14}  # fmt: skip

    learners = [learner(1), learner(2)]
    # RSS shrank between 1 and 2 envs (allocator noise): S falls back to the 150 B/env of buffers
    model, sources = fit_model([sim(1, 1000), sim(2, 900)], learners)
    assert model.s == 150 and "floored" in sources["simulation"]
    assert (model.m, model.r) == (21, 10)
    # RSS grew by more than the buffers: the fit stands
    model, sources = fit_model([sim(1, 1000), sim(2, 1400)], learners)
    assert model.s == 400 and model.f_sim == 600 and sources["simulation"] == "rss_bytes"
