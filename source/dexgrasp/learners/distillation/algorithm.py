"""DAgger for the grasp students: RSL-RL's ``Distillation`` with the losses and the schedule of the task.

What changes against RSL-RL's algorithm:

* **Who acts.** Each episode is driven either by the teacher or by the student, drawn when it starts with
  probability ``beta`` for the teacher; ``beta`` goes linearly from ``beta_start`` to ``beta_end`` over
  ``beta_iterations`` updates. Early updates then see the teacher's state distribution, later ones the
  student's own (DAgger). The frozen teacher labels every step either way. Both act with their action means
  (RSL-RL samples the student's distribution): DAgger must visit the states the deployed, deterministic student
  reaches, and a sampled grasp rarely closes, so sampled rollouts never produce the labels of the lift.
* **The loss.** Squared error of the action means weighted by the teacher's inverse variance (dimensions
  the teacher is sure about count more; weights normalised to average 1 over the batch), plus squared error
  of the stds, plus an auxiliary object-position loss from a small head on the student's latent (or on the
  position a student with a position bottleneck gives its own actions).
* **Recurrent teachers** keep their own hidden state across updates (RSL-RL rewinds it at each update).
* **The aggregated dataset** (``dataset_size`` > 0, feed-forward students): every labelled step is kept and
  each update trains on ``num_learning_epochs`` mini-batches of ``dataset_batch_size`` steps drawn from all of
  them, as DAgger prescribes; RSL-RL trains on the last rollout alone.
* **Every step counts.** Steps left after the last full ``gradient_length`` window of an epoch still make a
  gradient step (RSL-RL drops them).

Offline updates (recorded episodes, where the actions are not chosen here) advance the schedule too, so
online DAgger after offline learning starts with the student acting more often.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn as nn
from rsl_rl.algorithms import Distillation
from rsl_rl.env import VecEnv
from rsl_rl.modules import MLP
from rsl_rl.utils import reduce_gradients_in_buckets, resolve_class, resolve_obs_groups
from tensordict import TensorDict

from .policy import LatentTail, model_outputs, position_bottleneck, position_input, position_input_dim
from .storage import AggregatedDataset, LabelledRolloutStorage


class GraspDistillation(Distillation):
    def __init__(
        self,
        student,
        teacher,
        storage: LabelledRolloutStorage,
        inverse_variance_weighting: bool = True,
        std_loss_coef: float = 1.0,
        aux_loss_coef: float = 1.0,
        aux_obs_group: str | None = "object_pos",
        aux_hidden_dims: tuple[int, ...] | list[int] = (64,),
        aux_dim: int = 3,
        aux_input: str = "latent",
        beta_start: float = 1.0,
        beta_end: float = 0.0,
        beta_iterations: int = 100,
        dataset_size: int = 0,
        dataset_batch_size: int = 4096,
        **kwargs,
    ) -> None:
        if kwargs.get("loss_type", "mse") != "mse":
            raise ValueError(f"the grasp distillation loss is a weighted squared error, not {kwargs['loss_type']}")
        super().__init__(student, teacher, storage, **kwargs)
        self.teacher_loaded = not getattr(teacher, "needs_weights", True)
        self.inverse_variance_weighting = inverse_variance_weighting
        self.std_loss_coef = std_loss_coef
        self.aux_loss_coef = aux_loss_coef
        self.aux_obs_group = aux_obs_group
        self.aux_input = aux_input
        self.aux_head: nn.Module | None = None
        bottleneck = position_bottleneck(student)
        if bottleneck and (aux_obs_group is None or aux_dim != bottleneck):
            raise ValueError(f"a student with position_bottleneck={bottleneck} learns that many numbers from "
                             f"agent.algorithm.aux_obs_group, of aux_dim {aux_dim}; set both")  # fmt: skip
        if bottleneck:  # the student's own head, trained with the rest of the student
            self.aux_head = LatentTail(bottleneck)
        elif aux_obs_group is not None:
            in_dim = position_input_dim(student, aux_input)
            self.aux_head = MLP(in_dim, aux_dim, list(aux_hidden_dims), "elu").to(self.device)
            self.optimizer.add_param_group({"params": self.aux_head.parameters()})
        self.beta_start, self.beta_end, self.beta_iterations = beta_start, beta_end, max(1, beta_iterations)
        self._teacher_driven: torch.Tensor | None = None
        self.dataset: AggregatedDataset | None = None
        if dataset_size > 0:
            if student.is_recurrent:
                raise ValueError("the aggregated dataset (dataset_size > 0) keeps steps without their order: "
                                 "it needs a feed-forward student")  # fmt: skip
            self.dataset = AggregatedDataset(dataset_size, self.device)
        self.dataset_batch_size = dataset_batch_size
        self.loss_history: list[dict[str, float]] = []
        """The mean loss terms of every update so far (reported by the command line at the end)."""

    @property
    def beta(self) -> float:
        progress = min(1.0, self.num_updates / self.beta_iterations)
        return self.beta_start + (self.beta_end - self.beta_start) * progress

    def teacher_labels(self, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor]:
        if hasattr(self.teacher, "labels"):
            return self.teacher.labels(obs)
        mean, std, _ = model_outputs(self.teacher, obs)
        return mean, std

    def act(self, obs: TensorDict) -> torch.Tensor:
        student_actions = self.student(obs).detach()
        mean, std = self.teacher_labels(obs)
        if self._teacher_driven is None:
            self._teacher_driven = self._draw_drivers(len(mean))
        self.transition.privileged_actions = mean.detach()
        self.transition.privileged_stds = std.detach().expand_as(mean)
        self.transition.actions = torch.where(
            self._teacher_driven[:, None], self.transition.privileged_actions, student_actions
        )
        self.transition.observations = obs
        return self.transition.actions

    def process_env_step(self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict) -> None:
        self.transition.rewards = rewards
        self.transition.dones = dones
        self.storage.add_transition(self.transition)
        self.transition.clear()
        self.student.reset(dones)
        self.teacher.reset(dones)
        done = dones.view(-1).bool()
        if self._teacher_driven is not None and done.any():
            self._teacher_driven[done] = self._draw_drivers(int(done.sum()))

    def update(self) -> dict[str, float]:
        self.num_updates += 1
        if self.dataset is not None:
            return self._update_from_dataset()
        sums: dict[str, float] = {}
        count = 0
        loss = 0
        for _ in range(self.num_learning_epochs):
            self.student.reset(hidden_state=self.last_hidden_states[0])
            self.student.detach_hidden_state()
            for batch in self.storage.generator():
                with torch.amp.autocast(
                    device_type=torch.device(self.device).type, enabled=self.use_mixed_precision, dtype=torch.bfloat16
                ):
                    terms, total = self.objective(batch)
                loss = loss + total
                self._add_terms(sums, terms, total)
                count += 1
                if count % self.gradient_length == 0:
                    self._step(loss)
                    loss = 0
                dones = batch.dones.view(-1)
                self.student.reset(dones)
                self.student.detach_hidden_state(dones)
            if torch.is_tensor(loss):
                self._step(loss)
                loss = 0
        self.last_hidden_states = (self.student.get_hidden_state(), None)
        self.student.detach_hidden_state()
        return self._finish_update(sums, count)

    def _update_from_dataset(self) -> dict[str, float]:
        """One update on mini-batches drawn from every labelled step so far (this rollout's included)."""
        rollout = self.storage
        self.dataset.add(
            TensorDict(
                {
                    "observations": rollout.observations,
                    "privileged_actions": rollout.privileged_actions,
                    "privileged_stds": rollout.privileged_stds,
                },
                batch_size=rollout.privileged_actions.shape[:2],
            )
        )
        sums: dict[str, float] = {}
        for _ in range(self.num_learning_epochs):
            with torch.amp.autocast(
                device_type=torch.device(self.device).type, enabled=self.use_mixed_precision, dtype=torch.bfloat16
            ):
                terms, total = self.objective(SimpleNamespace(**self.dataset.sample(self.dataset_batch_size)))
            self._add_terms(sums, terms, total)
            self._step(total)
        return self._finish_update(sums, self.num_learning_epochs)

    def _finish_update(self, sums: dict[str, float], count: int) -> dict[str, float]:
        self.student.update_normalization(self.storage.observations.flatten(0, 1))
        self.storage.clear()
        self.loss_history.append({**{key: value / count for key, value in sums.items()}, "dagger_beta": self.beta})
        return self.loss_history[-1]

    @staticmethod
    def _add_terms(sums: dict[str, float], terms: dict[str, torch.Tensor], total: torch.Tensor) -> None:
        """Add one batch's loss terms and their total to the update's running sums."""
        for key, value in terms.items():
            sums[key] = sums.get(key, 0.0) + value.item()
        sums["total"] = sums.get("total", 0.0) + total.item()

    def objective(self, batch) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """The loss terms of one batch and their weighted sum, the loss that is minimised."""
        terms = self.losses(batch)
        total = terms["action_mean"] + self.std_loss_coef * terms["action_std"]
        if "object_position" in terms:
            total = total + self.aux_loss_coef * terms["object_position"]
        return terms, total

    def losses(self, batch) -> dict[str, torch.Tensor]:
        """Loss terms of one step of the batch (advances the student's recurrent state)."""
        mean, std, latent = model_outputs(self.student, batch.observations)
        target_mean, target_std = batch.privileged_actions, batch.privileged_stds
        error = (mean - target_mean).square()
        if self.inverse_variance_weighting:
            weight = target_std.clamp_min(1e-3).square().reciprocal()
            error = error * (weight / weight.mean())
        terms = {"action_mean": error.mean(), "action_std": (std.expand_as(target_std) - target_std).square().mean()}
        if self.aux_head is not None:
            target = batch.observations[self.aux_obs_group]
            estimate = self.aux_head(position_input(self.student, latent, self.aux_input))
            terms["object_position"] = (estimate - target).square().mean()
        return terms

    def _step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad()
        loss.backward()
        if self.is_multi_gpu:
            self.reduce_parameters()
        if self.max_grad_norm:
            nn.utils.clip_grad_norm_(self._trained_parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.student.detach_hidden_state()

    def broadcast_parameters(self) -> None:
        """RSL-RL's broadcast of student and teacher, plus the object-position head."""
        super().broadcast_parameters()
        if self.aux_head is not None:
            for tensor in self.aux_head.state_dict().values():
                torch.distributed.broadcast(tensor, src=0)

    def reduce_parameters(self) -> None:
        """Average the gradients of everything the optimizer trains (student and head) over the processes."""
        reduce_gradients_in_buckets(self._trained_parameters(), self.gpu_world_size, self.grad_reduce_bucket_mb)

    def _trained_parameters(self) -> list[nn.Parameter]:
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def _draw_drivers(self, count: int) -> torch.Tensor:
        return torch.rand(count, device=self.device) < self.beta

    def save(self) -> dict:
        saved = super().save()
        saved["num_updates"] = self.num_updates
        if self.aux_head is not None:
            saved["aux_head_state_dict"] = self.aux_head.state_dict()
        return saved

    def load(self, loaded_dict: dict, load_cfg: dict | None, strict: bool) -> bool:
        load_iteration = super().load(loaded_dict, load_cfg, strict)
        if "student_state_dict" in loaded_dict and (load_cfg is None or load_cfg.get("student")):
            self.num_updates = int(loaded_dict.get("num_updates", 0))
            if self.aux_head is not None and "aux_head_state_dict" in loaded_dict:
                self.aux_head.load_state_dict(loaded_dict["aux_head_state_dict"], strict=strict)
        return load_iteration

    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> GraspDistillation:
        """RSL-RL's construction, with the labelled storage and the object-position head's size."""
        alg_class, alg_cfg = resolve_class(cfg["algorithm"])
        student_class, student_cfg = resolve_class(cfg["student"])
        teacher_class, teacher_cfg = resolve_class(cfg["teacher"])
        cfg["obs_groups"] = resolve_obs_groups(obs, cfg["obs_groups"], ["student", "teacher"])
        for extension in ("rnd_cfg", "symmetry_cfg"):
            if alg_cfg.pop(extension, None) is not None:
                raise ValueError(f"{extension} is not compatible with distillation")
        aux_group = alg_cfg.get("aux_obs_group")
        if aux_group is not None:
            if aux_group not in obs:
                raise ValueError(
                    f"the auxiliary target group '{aux_group}' is not among the observations {list(obs.keys())}"
                )
            alg_cfg["aux_dim"] = obs[aux_group].shape[-1]
        student = student_class(obs, cfg["obs_groups"], "student", env.num_actions, **student_cfg).to(device)
        teacher = teacher_class(obs, cfg["obs_groups"], "teacher", env.num_actions, **teacher_cfg).to(device)
        storage = LabelledRolloutStorage(env.num_envs, cfg["num_steps_per_env"], obs, [env.num_actions], device)
        alg = alg_class(student, teacher, storage, device=device, **alg_cfg, multi_gpu_cfg=cfg["multi_gpu"])
        alg.compile(cfg.get("torch_compile_mode"))
        return alg
