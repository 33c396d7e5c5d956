"""Building RSL-RL policy models from checkpoints, and reading their action distribution.

A teacher is rebuilt from its own model configuration and fed the scene's groups under the names of its
training task; a distilled student carries its model configuration in its checkpoint's metadata. Both work
on any :class:`tensordict.TensorDict` of observation groups, with or without a simulator.
"""

from __future__ import annotations

import torch
from rsl_rl.modules import MLP
from rsl_rl.utils import resolve_class
from tensordict import TensorDict

from dexgrasp.runs import METADATA_KEY, CheckpointError

from .teacher import PolicySpec


def model_outputs(model: torch.nn.Module, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Action mean, action std and the latent the head acted on (advances a recurrent model by one step)."""
    if getattr(model, "distribution", None) is None:
        raise ValueError(f"{type(model).__name__} has no action distribution: distillation needs means and stds")
    latent = model.get_latent(obs)
    model.distribution.update(model.mlp(latent))
    return model.distribution.mean, model.distribution.std, latent


def build_model(model_cfg: dict, obs: TensorDict, groups: list[str], obs_set: str, num_actions: int) -> torch.nn.Module:
    """An RSL-RL model (``class_name`` + arguments) reading ``groups`` of ``obs`` as its ``obs_set``."""
    model_class, kwargs = resolve_class(model_cfg)
    return model_class(obs, {obs_set: list(groups)}, obs_set, num_actions, **kwargs)


def load_actor(spec: PolicySpec, obs: TensorDict, groups: list[str], num_actions: int, device: str) -> torch.nn.Module:
    """A trained policy's actor reading ``groups`` of the scene (its own groups, renamed where the scene
    names them otherwise), frozen."""
    model = build_model(spec.model_cfg, obs, groups, "actor", num_actions)
    if spec.checkpoint is None:  # the scripted expert: labels from the scene, no weights
        return model.to(device).eval()
    state = torch.load(spec.checkpoint, map_location=device, weights_only=False)
    load_state(model, state.get("actor_state_dict"), spec.checkpoint)
    return model.to(device).eval()


def student_meta(checkpoint: str, state: dict | None = None) -> dict:
    """The metadata of a distilled student's checkpoint; refuses any other checkpoint."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False) if state is None else state
    meta = (state.get("infos") or {}).get(METADATA_KEY, {})
    if "student_model" not in meta:
        raise CheckpointError(f"{checkpoint} is not a student checkpoint of scripts/distill.py")
    return meta


def student_groups(checkpoint: str) -> list[str]:
    """The observation groups a distilled student reads."""
    return list(student_meta(checkpoint)["obs_groups"]["student"])


def load_student(checkpoint: str, obs: TensorDict, num_actions: int, device: str) -> torch.nn.Module:
    """A distilled student, ready to act on the observation groups it was trained on."""
    state = torch.load(checkpoint, map_location=device, weights_only=False)
    meta = student_meta(checkpoint, state)
    model = build_model(meta["student_model"], obs, meta["obs_groups"]["student"], "student", num_actions)
    load_state(model, state.get("student_state_dict"), f"student {checkpoint}")
    return model.to(device).eval()


def load_state(model: torch.nn.Module, state_dict: dict | None, what: str) -> None:
    """Load weights, reporting a model that does not fit the scene's observations as one line."""
    if state_dict is None:
        raise CheckpointError(f"{what} holds no policy weights")
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        detail = next(
            (line.strip() for line in str(exc).splitlines() if "size mismatch" in line or "Missing" in line), ""
        )
        raise CheckpointError(
            f"{what} does not fit this scene's observations ({detail or 'state dict mismatch'})"
        ) from None


POSITION_INPUTS = ("latent", "image")
"""What a student's object-position head reads (``agent.algorithm.aux_input``)."""

HEAD_LABEL_GROUP = "head_object_pos"
"""The label group of a teacher head's reading of the object's position (:mod:`.head_labels`)."""
POSITION_LABELS = ("object_pos", HEAD_LABEL_GROUP)
"""What an object-position head learns (``agent.algorithm.aux_obs_group``): the simulator's position, or a modular
teacher's reading of it. Either way the head gives an object position a modular policy can act on."""


def has_position_head(meta: dict) -> bool:
    """Whether a checkpoint with metadata ``meta`` is a distilled student with an object-position head."""
    return meta.get("library") == "rsl_rl_distill" and meta.get("aux_obs_group") in POSITION_LABELS


class LatentTail(torch.nn.Module):
    """The position head of a student with a position bottleneck
    (:class:`~dexgrasp.models.RecurrentCNNModel`, ``position_bottleneck``): the end of its latent, where its own
    head put the position; its weights are the student's."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return latent[..., -self.width :]


def position_bottleneck(student: torch.nn.Module) -> int:
    """How many numbers a student's own position head gives its actions (0: the student has no bottleneck)."""
    return getattr(student, "position_bottleneck", 0)


def position_input_dim(student: torch.nn.Module, aux_input: str) -> int:
    """The width of what the position head of ``student`` reads; refuses what the student cannot give."""
    if aux_input not in POSITION_INPUTS:
        raise ValueError(f"aux_input is one of {', '.join(POSITION_INPUTS)}, not {aux_input}")
    if aux_input == "latent":
        return student._get_latent_dim()
    width = 0 if getattr(student, "is_recurrent", False) else student._get_latent_dim() - student.obs_dim
    if width <= 0:
        raise ValueError("aux_input=image needs a feed-forward image student (agent.student.rnn_type=null)")
    return width


def position_input(student: torch.nn.Module, latent: torch.Tensor, aux_input: str) -> torch.Tensor:
    """What the position head reads of the student's ``latent``: all of it, or the image features that follow
    the proprioception in a feed-forward image model's latent."""
    return latent if aux_input == "latent" else latent[..., student.obs_dim :]


def load_position_head(checkpoint: str, student: torch.nn.Module, device: str) -> tuple[torch.nn.Module, str]:
    """The head that the distilled ``student`` of ``checkpoint`` learned to read the object's position with (an
    MLP, :class:`~dexgrasp.learners.distillation.algorithm.GraspDistillation`; its hidden sizes read off its
    weights) and what it reads (:data:`POSITION_INPUTS`)."""
    state = torch.load(checkpoint, map_location=device, weights_only=False)
    meta = (state.get("infos") or {}).get(METADATA_KEY, {})
    bottleneck = position_bottleneck(student)
    if bottleneck and meta.get("aux_obs_group") in POSITION_LABELS:
        return LatentTail(bottleneck).to(device), "latent"
    head = state.get("aux_head_state_dict")
    if head is None or meta.get("aux_obs_group") not in POSITION_LABELS:
        raise CheckpointError(f"{checkpoint} holds no object-position head (a student of scripts/distill.py has one)")
    aux_input = meta.get("aux_input", "latent")
    layers = sorted((key for key in head if key.endswith("weight")), key=lambda key: int(key.split(".")[0]))
    weights = [head[key] for key in layers]
    in_dim = position_input_dim(student, aux_input)
    model = MLP(in_dim, weights[-1].shape[0], [w.shape[0] for w in weights[:-1]], "elu")
    load_state(model, head, f"position head of {checkpoint}")
    return model.to(device).eval(), aux_input


class FrozenPolicy:
    """A model that acts and labels: action mean and std per step; recurrent state reset where episodes end."""

    def __init__(self, model: torch.nn.Module):
        self.model = model

    def outputs(self, obs: TensorDict) -> tuple[torch.Tensor, torch.Tensor]:
        if hasattr(self.model, "labels"):  # labels that arrive with the observations (recorded or scripted)
            return self.model.labels(obs)
        mean, std, _ = model_outputs(self.model, obs)
        return mean, std.expand_as(mean)

    def reset(self, dones: torch.Tensor | None = None) -> None:
        self.model.reset(dones)


class ExpertPolicy:
    """The scripted grasp expert as a policy that acts and labels (mean and a constant std), and as an inference
    policy (called on observations it does not need: it reads the simulator of ``env``)."""

    def __init__(self, env):
        from dexgrasp.tasks.grasp.scripted_expert import EXPERT_STD, ScriptedGraspExpert

        self.expert = ScriptedGraspExpert(env)
        self.std = EXPERT_STD

    def outputs(self, obs: TensorDict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.expert.act()
        return mean, torch.full_like(mean, self.std)

    def __call__(self, obs: TensorDict | None = None) -> torch.Tensor:
        return self.outputs(obs)[0]

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Nothing to do: the expert restarts each environment's script when its episode starts."""


class ModularPolicy:
    """A modular image policy: the scripted expert's controller acting on the object position that a distilled
    student's position head reads from the student's observations, instead of the simulator's position.

    It separates a student's error in seeing the object from its error in acting: the expert with a drawn position
    error (``env.scripted_expert.position_error``) predicts what an estimate of a given precision allows. The
    controller reads the robot's own state (palm, fingers), which a real robot measures; the object's position is
    the one thing it takes from the images.

    The estimate is read while the hand is away from the object (the pinch point farther than ``hidden_within``
    from the estimate), averaged over the last ``window`` such readings, and held while the hand comes down over
    the object and hides it. Once the fingers close, the object is taken to move with the pinch point, from where
    the held estimate put it when they closed; a slip is then not seen. Read live at every step instead, the
    controller fails where the head is least sure: over the hidden object, and in the closed hand, where the head
    of a clone reads an object between the fingers whether or not one is there."""

    def __init__(self, env, checkpoint: str, obs: TensorDict, num_actions: int, device: str,
                 hidden_within: float = 0.10, window: int = 10):  # fmt: skip
        from dexgrasp.tasks.grasp.scripted_expert import ScriptedGraspExpert

        self.student = load_student(checkpoint, obs, num_actions, device)
        self.head, self.head_input = load_position_head(checkpoint, self.student, device)
        groups = student_groups(checkpoint)
        self.image_groups = [g for g in groups if obs[g].dim() == 4]
        self.proprio_groups = [g for g in groups if obs[g].dim() == 2]
        """The student's observation groups: its images, and its own state (what
        :mod:`~dexgrasp.evaluation.position_probe` swaps between environments)."""
        self.expert = ScriptedGraspExpert(env)
        self.hidden_within, self.window = hidden_within, window
        self.held = torch.zeros(env.num_envs, 3, device=device)
        """The estimate held for each environment: a running mean of the readings taken with the object in view."""
        self.readings = torch.zeros(env.num_envs, device=device)
        """How many readings the held estimate averages (at most ``window``); 0 where an episode starts."""
        self.grip = torch.zeros(env.num_envs, 3, device=device)
        """Where the object sits relative to the pinch point, as estimated when the fingers closed."""
        self.closed = torch.zeros(env.num_envs, dtype=torch.bool, device=device)

    @torch.no_grad()
    def reading(self, obs: TensorDict, advance: bool = True) -> torch.Tensor:
        """The head's object position (environment frame) for ``obs``, as it comes; ``advance=False`` leaves a
        recurrent student's memory where it was (a second look at the same step)."""
        memory = self.student.get_hidden_state()
        reading = self.head(position_input(self.student, self.student.get_latent(obs), self.head_input))
        if not advance:
            self.student.reset(hidden_state=memory)
        return reading

    @torch.no_grad()
    def estimate(self, obs: TensorDict) -> torch.Tensor:
        """The object position (environment frame) the controller acts on, from ``obs``; see the class docstring."""
        reading, pinch = self.reading(obs), self.expert.pinch_point()
        fresh = (self.readings == 0) | (torch.linalg.norm(pinch - self.held, dim=-1) > self.hidden_within)
        self.readings = torch.where(fresh, (self.readings + 1).clamp(max=self.window), self.readings)
        weight = torch.where(fresh, 1.0 / self.readings.clamp(min=1), 0.0)[:, None]
        self.held = self.held + weight * (reading - self.held)
        closed = self.expert.closure() > self.expert.cfg.closing_started
        closing = closed & ~self.closed
        self.grip[closing] = (self.held - pinch)[closing]
        self.closed = closed
        return torch.where(closed[:, None], pinch + self.grip, self.held)

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        return self.expert.act(object_pos=self.estimate(obs))

    def reset(self, dones: torch.Tensor | None = None) -> None:
        self.student.reset(dones)
        if dones is not None:
            self.readings[dones.bool()] = 0
            self.closed[dones.bool()] = False
