"""The RSL-RL PPO learner: one function for every topology."""

from __future__ import annotations

from dexgrasp.runs import checkpoint_metadata

from .curriculum import decide_curriculum


def learn_rsl_rl(
    vec_env,
    task: str,
    agent_cfg: dict,
    log_dir: str | None,
    resume: str | None,
    max_iterations: int,
    adr: dict | None,
    init_actor: str | None = None,
    critic_warmup: int = 0,
    overrides: list[str] | None = None,
):
    """RSL-RL PPO on ``vec_env`` (pipelined rollout when it is a disaggregated learner's environment).

    ``adr``: decide the curriculum here over every process (:func:`~.curriculum.decide_curriculum`); None in one
    process. ``init_actor``: a student of ``scripts/distill.py`` to start the actor from
    (:func:`load_actor_from_student`). ``critic_warmup``: the first iterations, counted in ``max_iterations``, in which only the
    critic learns. A cloned actor meets a critic that starts untrained: PPO's first updates follow that critic's
    noise and can undo the cloned grasp before the critic values it, so the actor waits until the critic has seen
    its returns. ``overrides``: the run's configuration overrides, recorded in every checkpoint so that play and
    resume rebuild the policy as it was trained.
    Returns the runner after training (its storage, models and iteration count), for callers that report on it.
    """
    from dexgrasp.runner.process import log
    from dexgrasp.runner.remote_env import DisaggregatedVecEnv
    from dexgrasp.runs import read_metadata

    from .learner_memory import device_available, fit_learner_memory
    from .rsl_rl_runners import GraspOnPolicyRunner, learners_env_counts

    agent_cfg = {**agent_cfg, "device": vec_env.device}
    # every learner must run the same number of mini-batches (their gradients are averaged per mini-batch), and a
    # recurrent one splits by environment: none may hold fewer environments than mini-batches
    fewest = min(learners_env_counts(vec_env.num_envs))
    if agent_cfg["algorithm"].get("num_mini_batches", 1) > fewest:
        log(f"a learner has {fewest} environments: using that many mini-batches")
        agent_cfg["algorithm"] = {**agent_cfg["algorithm"], "num_mini_batches": fewest}
    decide_curriculum(vec_env, adr)

    def metadata() -> dict:
        groups = agent_cfg["obs_groups"]
        return checkpoint_metadata(
            task, "rsl_rl", groups, vec_env.curriculum_state(), agent_cfg=agent_cfg, overrides=list(overrides or [])
        )

    runner = GraspOnPolicyRunner(vec_env, agent_cfg, log_dir, vec_env.device, metadata=metadata)
    # the first update is where a large run runs out of memory: fit its mini-batches to the device first
    fit_learner_memory(runner.alg, vec_env.device, device_available(vec_env.device))
    agent_cfg["algorithm"] = {**agent_cfg["algorithm"], "num_mini_batches": runner.alg.num_mini_batches}

    vec_env.on_failure(lambda exc: runner.save_before_stopping(log_dir))
    if resume:
        runner.load(resume, map_location=vec_env.device)
        vec_env.set_curriculum_state(read_metadata(resume).get("curriculum", {}))
        resumed = f"resumed from {resume} at iteration {runner.current_learning_iteration}"
        if isinstance(vec_env, DisaggregatedVecEnv):
            log(resumed)  # a disaggregated learner reports on stderr, as the runner does
        elif not runner.is_distributed:  # data-parallel processes resume silently, as they always have
            print(f"[dexgrasp] {resumed}", flush=True)
    if init_actor:
        load_actor_from_student(runner, init_actor, vec_env.device)
        print(f"[dexgrasp] actor initialised from the student {init_actor}", flush=True)
    if critic_warmup:
        hold_actor(runner.alg, critic_warmup)
    runner.learn(num_learning_iterations=max_iterations, init_at_random_ep_len=True)
    return runner


def hold_actor(alg, updates: int) -> None:
    """Keep ``alg``'s actor as it is for its next ``updates`` PPO updates (the critic learns), then release it."""
    held = [p for p in alg.actor.parameters() if p.requires_grad]
    for p in held:
        p.requires_grad_(False)  # no gradient: the optimiser leaves these parameters as they are
    update, done = alg.update, 0

    def update_then_release() -> dict:
        nonlocal done
        losses = update()
        done += 1
        if done == updates:
            for p in held:
                p.requires_grad_(True)
            alg.update = update
            print(f"[dexgrasp] critic warmed up for {updates} iterations: the actor learns from here", flush=True)
        return losses

    alg.update = update_then_release


def load_actor_from_student(runner, path: str, device: str) -> None:
    """Load a distilled student's weights (and observation normaliser) into PPO's actor: RL on top of behaviour
    cloning. The action noise stays the actor's configured initial std (exploration is PPO's to set, e.g.
    ``agent.actor.distribution_cfg.init_std=0.2``) and the critic starts fresh. The student must have the actor's
    model (``presets=mlp`` and the state student of ``scripts/distill.py``).

    The actor's observation normaliser keeps the student's statistics: the cloned weights were fitted to them, and
    a normaliser that goes on learning from PPO's rollouts shifts every input under them. Measured on the
    procedural set: the cloned actor succeeded in 0.16 of 64 episodes, the same weights after 20 iterations of
    normaliser updates (PPO's critic warm-up) in 0.09."""
    import torch

    from .distillation.policy import load_state

    state = torch.load(path, map_location=device, weights_only=False)
    weights = dict(state.get("student_state_dict") or {})
    own = runner.alg.actor.state_dict()
    weights.update({key: value for key, value in own.items() if key.startswith("distribution.")})
    load_state(runner.alg.actor, weights, f"student {path}")
    normalizer = runner.actor_normalizer()
    if normalizer is not None:
        normalizer.until = int(normalizer.count)  # learns no more: it has seen its count already
