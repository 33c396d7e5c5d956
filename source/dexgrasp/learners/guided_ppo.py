"""PPO guided by the scripted expert: RSL-RL's PPO plus a behaviour-cloning term on the expert's labels.

PPO started from a policy cloned from the scripted expert lost the clone's grasps within some 100 actor updates in
every setting measured (``docs/learning_curve.md``): its advantage estimates on a 2048-step batch do not hold a
grasp that a few centimetres of drift undo. Keeping a behaviour-cloning term during PPO (DAPG, Rajeswaran et al.
2018) anchors the policy to the expert's labels while PPO improves on them, and its weight decays so that PPO
decides in the end. The labels are the scripted expert's actions in the states the policy itself reaches (the
``teacher_action_mean`` observation group of the state task's scripted-teacher variant): online DAgger inside PPO.
They travel with the observations, so the term works in every topology. With ``guide_dataset_size`` > 0 the labelled
steps of every rollout are kept (DAgger's aggregated dataset) and the cloning passes draw from all of them.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
from rsl_rl.algorithms import PPO
from rsl_rl.utils import unpad_trajectories

from .distillation.storage import AggregatedDataset

LABEL_GROUP = "teacher_action_mean"
"""The observation group that carries the scripted expert's label for each step."""


class ExpertGuidedPPO(PPO):
    """:class:`rsl_rl.algorithms.PPO` followed, at each update, by one pass of behaviour cloning on the rollout.

    The cloning loss is the negative log-likelihood of the expert's label under the policy's mean at its current
    std (the std is held out of it, so cloning does not shrink PPO's exploration): the same units as PPO's
    log-probabilities, so one weight means the same at any action noise. ``guide_coef`` weighs it at the first
    update, and it is multiplied by ``guide_decay`` after each; below ``guide_min`` the pass is skipped.
    ``guide_epochs`` passes over the rollout follow each PPO update; with ``guide_dataset_size`` > 0 (feed-forward
    actors) each pass is as many mini-batches of the same size drawn from every labelled step kept so far.
    ``guide_weights`` weighs the action dimensions in the loss (1 each by default): a dimension weighted 0 is left to
    PPO alone, for instance the hand's synergies while the palm keeps following the expert.
    """

    def __init__(
        self,
        *args,
        guide_coef: float = 1.0,
        guide_decay: float = 0.99,
        guide_min: float = 1e-3,
        guide_epochs: int = 1,
        guide_dataset_size: int = 0,
        guide_weights: list[float] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if guide_coef < 0 or not 0 < guide_decay <= 1 or guide_epochs < 1:
            raise ValueError(
                f"guide_coef must be >= 0, guide_decay in (0, 1] and guide_epochs >= 1, got {guide_coef},"
                f" {guide_decay}, {guide_epochs}"
            )
        num_actions = self.actor.distribution.output_dim
        weights = [1.0] * num_actions if guide_weights is None else list(guide_weights)
        if len(weights) != num_actions or min(weights) < 0:
            raise ValueError(f"guide_weights must be {num_actions} weights >= 0, one per action, got {guide_weights}")
        self.guide_weights = torch.tensor(weights, dtype=torch.float32, device=self.device)
        self.guide_coef, self.guide_decay, self.guide_min = guide_coef, guide_decay, guide_min
        self.guide_epochs = guide_epochs
        self.guide_dataset: AggregatedDataset | None = None
        if guide_dataset_size > 0:
            if self.actor.is_recurrent:
                raise ValueError(
                    "guide_dataset_size > 0 keeps steps without their order: it needs a feed-forward actor"
                )
            self.guide_dataset = AggregatedDataset(guide_dataset_size, self.device)

    def update(self) -> dict[str, float]:
        losses = super().update()  # PPO's pass; the rollout stays in the storage until the next one is collected
        # an actor held as cloned (``scripts/train.py --critic_warmup``) is neither guided nor counted as guided
        learning = any(p.requires_grad for p in self.actor.parameters())
        losses["guide"] = self._guide() if learning and self.guide_coef >= self.guide_min else 0.0
        losses["guide_coef"] = self.guide_coef
        if learning:
            self.guide_coef *= self.guide_decay
        return losses

    def _guide(self) -> float:
        """Behaviour cloning over the rollout's mini-batches; returns the mean unweighted loss."""
        if LABEL_GROUP not in self.storage.observations.keys():
            raise KeyError(f"expert-guided PPO needs the '{LABEL_GROUP}' observation group (scripts/train.py --guide)")
        if self.guide_dataset is not None:
            batches = self._dataset_batches()
        elif self.actor.is_recurrent:
            batches = self.storage.recurrent_mini_batch_generator(self.num_mini_batches, self.guide_epochs)
        else:
            batches = self.storage.mini_batch_generator(self.num_mini_batches, self.guide_epochs)
        total, count = 0.0, 0
        for batch in batches:
            self.actor(
                batch.observations, masks=batch.masks, hidden_state=batch.hidden_states[0], stochastic_output=True
            )
            label = batch.observations[LABEL_GROUP]
            if batch.masks is not None:  # trajectories padded for a recurrent model: back to the actions' shape
                label = unpad_trajectories(label, batch.masks)
            error = (self.actor.output_mean - label) / self.actor.output_std.detach()
            nll = (self.guide_weights * error**2 / 2).sum(dim=-1).mean()
            self.optimizer.zero_grad()
            (self.guide_coef * nll).backward()
            if self.is_multi_gpu:
                self.reduce_parameters()
            torch.nn.utils.clip_grad_norm_(self.actor.parameters(), self.max_grad_norm)
            self.optimizer.step()
            total, count = total + nll.item(), count + 1
        return total / max(count, 1)

    def _dataset_batches(self):
        """The rollout joins the aggregated dataset; then mini-batches of the rollout's mini-batch size drawn from it."""
        self.guide_dataset.add(self.storage.observations)
        size = self.storage.num_envs * self.storage.num_transitions_per_env // self.num_mini_batches
        for _ in range(self.guide_epochs * self.num_mini_batches):
            yield SimpleNamespace(observations=self.guide_dataset.sample(size), masks=None, hidden_states=(None, None))

    def save(self) -> dict:
        return {**super().save(), "guide_coef": self.guide_coef}

    def load(self, loaded_dict: dict, load_cfg: dict | None, strict: bool) -> bool:
        self.guide_coef = loaded_dict.get("guide_coef", self.guide_coef)
        return super().load(loaded_dict, load_cfg, strict)
