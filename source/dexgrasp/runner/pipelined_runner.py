"""RSL-RL's ``OnPolicyRunner`` with a rollout loop that overlaps acting with simulation.

Design. A synchronous rollout lets every simulation process idle while the learner computes actions for all
environments, and the learner idle while they step. Here the learner acts per simulation process instead: it
waits for process ``w``'s step, computes ``w``'s actions with ``alg.act`` on ``w``'s rows and sends them at once, so
``w`` steps again while the learner acts for the next process. Processes are served in fixed rank order, so random
numbers are drawn in a fixed order and runs are reproducible. PPO, the models and ``RolloutStorage`` are
unchanged: the per-process results of one step are concatenated into one full-batch transition that goes through
``alg.process_env_step`` exactly as in ``OnPolicyRunner.learn``, and the storage sees the same rows at the same
step index (observation, action, reward, done, value, log-prob, hidden state per environment).

Recurrent actor/critic. Hidden states are per environment ``(layers, envs, features)``. Before acting for
process ``w`` the runner installs ``w``'s rows of the full hidden state in the model (``model.reset(hidden_state=
...)``), resets them with ``w``'s dones (``model.reset(dones)``, the same call PPO makes on the full batch), and
takes the model's new hidden state back afterwards. The pre-act and post-act states of all processes are
concatenated; before ``alg.process_env_step`` the model holds the full post-act state, which PPO then resets with
the step's dones, so after the rollout the models hold exactly what a synchronous rollout leaves behind.

Exactness. Alignment is exact by construction. Values are bitwise equal to a synchronous full-batch rollout when
the models compute each environment's row independently of the batch size and the action noise splits the same
way. On the CPU both hold for suitable slice sizes (e.g. 8 environments x 4 actions per process; matrix kernels
and the normal sampler change code paths with the batch size otherwise). On GPUs expect the last bits to differ.
Batch normalization in train mode sees per-process batches here: use layer norm, or ``synchronous=True``.

The pipeline drains at each iteration's end: the last step is received before the update, and the next
iteration acts with the updated policy, as in ``OnPolicyRunner``. Used with any other environment, or with a
``DisaggregatedVecEnv`` created with ``synchronous=True``, ``learn`` is ``OnPolicyRunner.learn``.

Why ``learn`` is a copy rather than an override of the rollout alone. ``OnPolicyRunner.learn`` (rsl-rl-lib
:data:`CHECKED_RSL_RL_VERSION`) writes its rollout inline, between the broadcast of the parameters and
``compute_returns``, with no method to override; and it acts on the whole batch before the environment steps,
which is exactly what the pipeline must not do. Faking that order behind ``alg.act`` and ``env.step`` would hide the
pipeline in two objects instead of one loop. So :meth:`PipelinedOnPolicyRunner.learn` repeats the loop around
:meth:`~PipelinedOnPolicyRunner._rollout` line for line (logging, saving, iteration count), and ``_rollout``
installs the assembled full-batch transition as ``alg.transition`` because ``PPO.process_env_step`` reads the
step's actions, values and log-probabilities from there (``PPO.act`` leaves them there in RSL-RL's own loop).
Both depend on RSL-RL's internals: ``tests/test_pipelined_runner_pin.py`` fails on any other RSL-RL version, so an
upgrade re-checks this loop against the new ``OnPolicyRunner.learn`` before it runs.
"""

from __future__ import annotations

import os
import time

import torch
from rsl_rl.runners import OnPolicyRunner
from rsl_rl.storage import RolloutStorage
from rsl_rl.utils import check_nan
from tensordict import TensorDict

from .remote_env import DisaggregatedVecEnv

CHECKED_RSL_RL_VERSION = "5.5.1"
"""The rsl-rl-lib whose ``OnPolicyRunner.learn`` and ``PPO`` transition handling the pipelined loop was checked
against (see the module doc)."""


def _rows(hidden, sl: slice):
    """Rows ``sl`` (environments) of a hidden state: None, a tensor, or a tuple of tensors (LSTM)."""
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return tuple(h[:, sl].clone() for h in hidden)
    return hidden[:, sl].clone()


def _concat(parts: list):
    """Concatenate per-process hidden states along the environment dimension."""
    if parts[0] is None:
        return None
    if isinstance(parts[0], tuple):
        return tuple(torch.cat([p[i] for p in parts], dim=1) for i in range(len(parts[0])))
    return torch.cat(parts, dim=1)


class PipelinedOnPolicyRunner(OnPolicyRunner):
    """``OnPolicyRunner`` whose rollout acts per simulation process while the others step (see module doc)."""

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """``OnPolicyRunner.learn`` of rsl-rl-lib :data:`CHECKED_RSL_RL_VERSION`, with the pipelined rollout."""
        if not isinstance(self.env, DisaggregatedVecEnv) or self.env.synchronous:
            return super().learn(num_learning_iterations, init_at_random_ep_len)

        if init_at_random_ep_len:
            self.env.episode_length_buf = torch.randint_like(
                self.env.episode_length_buf, high=int(self.env.max_episode_length)
            )
        obs = self.env.get_observations().to(self.device)
        self.alg.train_mode()
        if self.is_distributed:  # several learners (hybrid topology) start from the same parameters
            self.alg.broadcast_parameters()
        self.logger.init_logging_writer()

        start_it = self.current_learning_iteration
        total_it = start_it + num_learning_iterations
        for it in range(start_it, total_it):
            start = time.time()
            with torch.inference_mode():
                obs = self._rollout(obs)
                stop = time.time()
                collect_time = stop - start
                start = stop
                self.alg.compute_returns(obs)

            loss_dict = self.alg.update()

            stop = time.time()
            learn_time = stop - start
            self.current_learning_iteration = it

            self.logger.log(
                it=it,
                start_it=start_it,
                total_it=total_it,
                collect_time=collect_time,
                learn_time=learn_time,
                loss_dict=loss_dict,
                learning_rate=self.alg.learning_rate,
                action_std=self.alg.get_policy().output_std,
                rnd_weight=self.alg.rnd.weight if self.cfg["algorithm"].get("rnd_cfg") else None,
            )
            if self.logger.writer is not None and it % self.cfg["save_interval"] == 0:
                self.save(os.path.join(self.logger.log_dir, f"model_{it}.pt"))  # type: ignore

        if self.logger.writer is not None:
            self.save(os.path.join(self.logger.log_dir, f"model_{self.current_learning_iteration}.pt"))  # type: ignore
            self.logger.stop_logging_writer()

    def _rollout(self, obs: TensorDict) -> TensorDict:
        """Collect ``num_steps_per_env`` transitions into the storage; return the last observations."""
        env, alg = self.env, self.alg
        num_steps = self.cfg["num_steps_per_env"]
        hidden = (alg.actor.get_hidden_state(), alg.critic.get_hidden_state())
        parts = [self._act(w, obs[sl], hidden, None) for w, sl in enumerate(env.slices)]
        pending, hidden = self._assemble(parts, obs)

        for step in range(num_steps):
            last = step == num_steps - 1
            parts = []
            for w in range(len(env.slices)):
                obs_w, dones_w = env.receive(w)
                if not last:
                    parts.append(self._act(w, obs_w.to(self.device), hidden, dones_w.to(self.device)))
            obs, rewards, dones, extras = env.collect()
            if self.cfg.get("check_for_nan", True):
                check_nan(obs, rewards, dones)
            obs, rewards, dones = obs.to(self.device), rewards.to(self.device), dones.to(self.device)

            # Record the step exactly as OnPolicyRunner does, from the full-batch transition.
            alg.transition = pending
            alg.actor.reset(hidden_state=hidden[0])
            alg.critic.reset(hidden_state=hidden[1])
            alg.process_env_step(obs, rewards, dones, extras)
            intrinsic_rewards = alg.intrinsic_rewards if self.cfg["algorithm"].get("rnd_cfg") else None
            self.logger.process_env_step(rewards, dones, extras, intrinsic_rewards)

            if not last:
                pending, hidden = self._assemble(parts, obs)
        return obs

    def _act(self, w: int, obs_w: TensorDict, hidden: tuple, dones_w: torch.Tensor | None) -> dict:
        """Act for simulation process ``w`` on its rows and send the actions; return its part of the transition."""
        alg, sl = self.alg, self.env.slices[w]
        alg.actor.reset(hidden_state=_rows(hidden[0], sl))
        alg.critic.reset(hidden_state=_rows(hidden[1], sl))
        if dones_w is not None:
            alg.actor.reset(dones_w)
            alg.critic.reset(dones_w)
        actions = alg.act(obs_w)
        self.env.send_actions(w, actions.to(self.env.device))
        tr = alg.transition
        return {
            "actions": tr.actions,
            "values": tr.values,
            "actions_log_prob": tr.actions_log_prob,
            "distribution_params": tr.distribution_params,
            "hidden_before": tr.hidden_states,
            "hidden_after": (alg.actor.get_hidden_state(), alg.critic.get_hidden_state()),
        }

    @staticmethod
    def _assemble(parts: list[dict], obs: TensorDict) -> tuple[RolloutStorage.Transition, tuple]:
        """Full-batch transition (as ``PPO.act`` leaves it) and full post-act hidden states from per-process parts."""
        transition = RolloutStorage.Transition()
        transition.observations = obs
        for name in ("actions", "values", "actions_log_prob"):
            setattr(transition, name, torch.cat([p[name] for p in parts]))
        transition.distribution_params = tuple(
            torch.cat(ps) for ps in zip(*(p["distribution_params"] for p in parts), strict=True)
        )
        transition.hidden_states = tuple(_concat([p["hidden_before"][i] for p in parts]) for i in range(2))
        hidden_after = tuple(_concat([p["hidden_after"][i] for p in parts]) for i in range(2))
        return transition, hidden_after
