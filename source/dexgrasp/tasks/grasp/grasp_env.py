"""The grasp environment: Isaac Lab's manager-based RL environment with the task's scene settings applied.

Scene-shaping fields of the configuration (image size, depth range, object set, robot source, contact
capacity) are applied here, right before the scene is built, so presets and command-line overrides of
those fields take effect whichever launcher creates the environment. The configuration is only read: what the
scene turns out to hold is kept on the environment.

What the task's terms, and the code that drives the environment, read besides Isaac Lab's managers:

* ``curriculum`` (:class:`~dexgrasp.tasks.grasp.grasp_curriculum.GraspCurriculum`): the ADR level, its state for
  checkpoints, and the episode outcomes a learner deciding over several processes reads;
* ``episode_metrics`` (:class:`~dexgrasp.tasks.grasp.episode_metrics.EpisodeMetrics`): each episode's success,
  lift and reach, logged when it ends;
* ``object_descriptors``: the shape descriptor of each environment's object (from the object set).
"""

from __future__ import annotations

import numpy as np
import torch
from isaaclab.envs import ManagerBasedRLEnv

from dexgrasp.assets import procedural_objects

from .episode_metrics import ASSISTED_LOG_KEYS, LOG_KEYS, EpisodeMetrics
from .grasp_curriculum import GraspCurriculum
from .grasp_env_cfg import GraspEnvCfg
from .mdp.observations import ScheduledNoiseModel

EPISODE_KEYS = LOG_KEYS + ASSISTED_LOG_KEYS
CAMERA_NAMES = ("depth_camera", "left_camera", "right_camera", "viewer_camera")


def validate_env_cfg(cfg: GraspEnvCfg) -> None:
    """Reject settings that cannot build a scene, with a message naming the field."""
    if cfg.scene.num_envs < 1:
        raise ValueError(f"num_envs must be positive, got {cfg.scene.num_envs}")
    if cfg.image.width < 1 or cfg.image.height < 1:
        raise ValueError(f"camera resolution must be positive, got {cfg.image.width}x{cfg.image.height}")
    near, far = cfg.depth_range
    if not 0 <= near < far:
        raise ValueError(f"depth_range must satisfy 0 <= near < far, got {cfg.depth_range}")
    if cfg.objects.source not in ("procedural", "cube", "folder"):
        raise ValueError(f"unknown object set '{cfg.objects.source}' (procedural, cube or folder)")
    if cfg.objects.density <= 0:
        raise ValueError(f"objects.density must be positive, got {cfg.objects.density}")
    if cfg.objects.source == "folder" and not cfg.objects.folder:
        raise ValueError("object set 'folder' needs objects.folder")
    if cfg.robot_source not in ("offline", "official"):
        raise ValueError(f"unknown robot_source '{cfg.robot_source}' (offline or official)")


def apply_scene_settings(cfg: GraspEnvCfg) -> list[list[float]]:
    """Write the scene-shaping fields into the scene configuration (idempotent); returns the shape descriptor of
    each object of the set."""
    validate_env_cfg(cfg)
    scene = cfg.scene
    on_cuda = str(cfg.sim.device).startswith("cuda")
    for name in CAMERA_NAMES:
        camera = getattr(scene, name, None)
        if camera is None:
            continue
        camera.width, camera.height = cfg.image.width, cfg.image.height
        if hasattr(camera.renderer_cfg, "use_cuda_graph"):
            camera.renderer_cfg.use_cuda_graph = on_cuda
    depth_group = getattr(cfg.observations, "depth", None)
    if depth_group is not None:
        depth_group.depth.params["depth_range"] = tuple(cfg.depth_range)

    objects = cfg.objects
    if objects.source == "procedural":
        specs = procedural_objects.generate_object_specs(objects.num_objects, objects.seed, tuple(objects.size_range))
        scene.object.spawn = procedural_objects.object_set_spawner(specs, density=objects.density)
        descriptors = [s.descriptor for s in specs]
    elif objects.source == "cube":
        spec = procedural_objects.ObjectSpec("box", (0.06, 0.06, 0.06), {"size": (0.06, 0.06, 0.06)})
        scene.object.spawn = procedural_objects.object_set_spawner([spec], density=objects.density)
        descriptors = [spec.descriptor]
    else:
        scene.object.spawn = procedural_objects.mesh_folder_objects(objects.folder, density=objects.density)
        count = len(scene.object.spawn.usd_path)
        descriptors = [[0.0] * procedural_objects.DESCRIPTOR_DIM for _ in range(count)]
    scene.object.init_state.pos = (*scene.object.init_state.pos[:2], cfg.spawn_height)
    cfg.events.reset_object.params["height"] = cfg.spawn_height

    if cfg.robot_source == "official":
        scene.robot = cfg.official_robot()
    if any("thumb_sensor" in getattr(term, "params", {}) for term in vars(cfg.rewards).values()):
        sensors = cfg.contact_sensors()
        if not sensors:
            raise ValueError(f"the reward reads fingertip contacts, which {type(cfg).__name__} does not provide")
        for name, sensor in sensors.items():  # built only for a reward that reads them
            setattr(scene, name, sensor)
    physics = cfg.sim.physics
    if hasattr(physics, "collision_cfg") and physics.collision_cfg is not None:
        physics.collision_cfg.rigid_contact_max = cfg.contacts_per_env * scene.num_envs
    return descriptors


class GraspEnv(ManagerBasedRLEnv):
    """Manager-based grasp environment; see the module docstring for why it exists and what it offers."""

    cfg: GraspEnvCfg
    curriculum: GraspCurriculum
    """The ADR curriculum: ``level`` for the scheduled terms, ``state()``/``load()`` for checkpoints,
    ``drain_outcomes()``/``follow()`` for a learner that decides over several processes."""
    episode_metrics: EpisodeMetrics
    """Per-episode success, lift and reach; ``success`` holds each environment's last finished episode."""
    training_goal: torch.Tensor
    """The goal rewards and the policy's observation use, ``(num_envs, 3)`` in each environment's frame:
    ``cfg.goal_pos`` unless the goal-height curriculum holds it lower. Success and the episode metrics always use
    ``cfg.goal_pos``."""
    object_weight: float
    """Share of its weight the object has, in [0, 1]: 1 unless the weight curriculum holds part of it up."""
    object_index: torch.Tensor
    """Which object of the set each environment holds, ``(num_envs,)``."""
    object_descriptors: torch.Tensor
    """Shape descriptor of each environment's object, ``(num_envs, DESCRIPTOR_DIM)``."""
    episode_plan = None
    """An evaluation's plan of episodes (:class:`dexgrasp.evaluation.episode_plan.EpisodePlan`), None in training.
    While one is set, every environment resets alone, with the random generators seeded by its next episode's
    start seed (``plan.start(env_id, ran)``, or ``plan.idle_seed(env_id)`` once it has none): a start state then depends
    on the plan's seed and the episode, not on the environment or on which others reset with it."""

    def __init__(self, cfg: GraspEnvCfg, render_mode: str | None = None, **kwargs):
        self.object_set_descriptors = apply_scene_settings(cfg)
        """Shape descriptor of each object of the set, in the set's order."""
        super().__init__(cfg, render_mode, **kwargs)
        if self.sim.resolve_visualizer_types():
            self._show_goal()

    def _show_goal(self) -> None:
        """A green sphere at each environment's goal, for the visualizers only (cameras do not see markers)."""
        import isaaclab.sim as sim_utils
        from isaaclab.markers import VisualizationMarkers, VisualizationMarkersCfg

        sphere = sim_utils.SphereCfg(
            radius=0.03, visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.1, 0.8, 0.2))
        )
        self.goal_marker = VisualizationMarkers(
            VisualizationMarkersCfg(prim_path="/Visuals/Goal", markers={"goal": sphere})
        )
        goal = torch.tensor(self.cfg.goal_pos, device=self.device)
        self.goal_marker.visualize(translations=self.scene.env_origins + goal)

    def load_managers(self):
        # what the terms read exists before the managers: they call their terms once to size the observations,
        # and the curriculum term reads the episodes' success
        robot = self.scene["robot"]
        hand_ids = [robot.body_names.index(name) for name in self.cfg.hand_bodies]
        adr = self.cfg.curriculum.adr
        radius = adr.params["success_radius"] if adr is not None else 0.1
        self.episode_metrics = EpisodeMetrics(self, hand_ids, radius, self.cfg.lift_height)
        self.training_goal = torch.tensor(self.cfg.goal_pos, device=self.device).repeat(self.num_envs, 1)
        self.object_weight = 1.0
        self.curriculum = self._curriculum()
        descriptors = torch.tensor(self.object_set_descriptors, device=self.device, dtype=torch.float32)
        self.object_index = self._object_index()
        self.object_descriptors = descriptors[self.object_index]
        super().load_managers()
        # the managers probed their terms at level 0; the curriculum starts at its first step from now on
        self.curriculum.set_step(adr.params.get("init_step", 0) if adr is not None else 0)

    def _object_index(self) -> torch.Tensor:
        """Which object of the set each environment holds, ``(num_envs,)``, read from the scene's clone plan.

        The cloner decides the layout (Isaac Lab's default ``sequential`` strategy gives contiguous blocks: with 64
        environments and 16 objects, environment ``i`` holds object ``i // 4``), so it is read, not assumed.
        """
        from isaaclab import cloner

        plan = self.scene.clone_plan
        object_assets = cloner.path.get_asset_prototypes(plan, self.scene["object"].cfg.prim_path)
        topology = plan.topology
        # world prototype p's members lie after the shared world's: between starts[p + 1] and starts[p + 2]
        starts = topology.world_prototype_starts
        per_prototype = [
            np.flatnonzero(np.isin(object_assets, topology.world_prototypes[starts[p + 1] : starts[p + 2]]))[0]
            for p in range(len(starts) - 2)
        ]
        return torch.as_tensor(np.asarray(per_prototype)[topology.world_prototype_layout], device=self.device)

    def _curriculum(self) -> GraspCurriculum:
        """The curriculum of the task's ADR term, at step 0; without the term the level stays at 0."""
        adr = self.cfg.curriculum.adr
        if adr is None:
            return GraspCurriculum(0, float("inf"), 1, on_level=self._set_noise_level)
        p = adr.params
        return GraspCurriculum(p["num_steps"], p["success_threshold"], p["min_episodes"], self._set_noise_level)

    def _set_noise_level(self, level: float) -> None:
        """Pass the curriculum level to the observation noise models, which keep it themselves."""
        manager = getattr(self, "observation_manager", None)
        for instance in getattr(manager, "_group_obs_class_instances", []):
            if isinstance(instance, ScheduledNoiseModel):
                instance.level = level

    def step(self, action):
        # Isaac Lab leaves extras["log"] of the last reset in place on steps without one, and RSL-RL logs it at
        # every step: the metrics of the last finished episodes would be counted again until the next reset.
        # A fresh dict without them (earlier steps' entries may be the same object, so no in-place removal).
        log = self.extras.get("log")
        if log:
            self.extras["log"] = {k: v for k, v in log.items() if k not in EPISODE_KEYS}
        out = super().step(action)
        # after the step's resets: environments that restarted observe their new episode's first state
        self.episode_metrics.observe(self)
        return out

    def _reset_idx(self, env_ids):
        if isinstance(env_ids, slice):
            env_ids = torch.arange(self.num_envs, device=self.device)[env_ids]
        if self.episode_plan is None:
            self._reset_envs(env_ids)
            return
        log = {}
        for i in range(len(env_ids)):
            env_id = int(env_ids[i])
            seed = self.episode_plan.start(env_id, ran=bool(self.episode_length_buf[env_id] > 0))
            torch.manual_seed(self.episode_plan.idle_seed(env_id) if seed is None else seed)
            self._reset_envs(env_ids[i : i + 1])
            for key, value in self.extras["log"].items():  # one value per episode: the episodes' values together
                log[key] = torch.cat((log[key], value)) if key in log and key in EPISODE_KEYS else value
        self.extras["log"] = log

    def _reset_envs(self, env_ids: torch.Tensor) -> None:
        log = self.episode_metrics.finish(self, env_ids)
        self.episode_metrics.restart(env_ids)  # before the reset events, which may mark an assisted start
        super()._reset_idx(env_ids)
        self.extras["log"].update(log)
