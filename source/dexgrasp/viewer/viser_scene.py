"""Isaac Lab's viser visualizer, drawing the scene from the moment the server starts.

Isaac Lab's :class:`ViserVisualizer` sends the meshes of the scene from ``step()``, and ``step()`` returns at once
while no browser is connected. A page opened before the simulation steps with it connected (the scene is built,
the first step compiles its Warp kernels: a minute on a CPU) therefore shows an empty world: the scene tree holds
only ``WorldAxes`` and ``ambient_light``. Here the first frame is logged when the server starts, so viser hands it
to every browser that connects, and each later step with a browser connected moves it. The camera is set as
viser's initial camera, which reaches browsers that connect later too (Isaac Lab sets it only on the browsers
connected when it starts), and aimed at environment 0 rather than at the world origin.
"""

from __future__ import annotations

import logging
import math

from isaaclab_visualizers.viser.viser_visualizer import ViserVisualizer

TABLE_CENTRE = (-0.45, 0.1, 0.45)
"""What the camera looks at in an environment's frame: the table between the robot and the goal [m]."""
VIEW_DIRECTION = (-0.55, -0.7, 0.45)
"""From the look-at point towards the camera: from above, beyond the far side of the tables."""
VIEW_DISTANCE = 2.2
"""How far along :data:`VIEW_DIRECTION` the camera stands (in units of its length): one table fills the view."""


class QuietAbortedHandshakes(logging.Filter):
    """Drops websockets' report of a connection closed before its first request.

    Browsers open spare connections ahead of need and close them unused; the websockets server under viser logs
    each as an error with a 30-line traceback, which reads like a failure of the run.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "opening handshake failed"


class GraspViserVisualizer(ViserVisualizer):
    """Isaac Lab's viser visualizer with the first frame logged at start-up (see the module docstring)."""

    def initialize(self, scene_data_provider) -> None:
        first = not self._is_initialized
        if first:
            self._aim_at_env_0(scene_data_provider)
            server_log = logging.getLogger("websockets.server")
            if not any(isinstance(f, QuietAbortedHandshakes) for f in server_log.filters):
                server_log.addFilter(QuietAbortedHandshakes())
        super().initialize(scene_data_provider)
        if not first or self._viewer is None:
            return
        server = self._viewer._server
        eye, lookat = self._resolve_initial_camera_pose()
        server.initial_camera.position = eye
        server.initial_camera.look_at = lookat
        server.initial_camera.fov = math.radians(self._focal_length_to_vertical_fov_degrees())
        self._log_frame()

    def _aim_at_env_0(self, scene_data_provider) -> None:
        """Camera framed on environment 0's table, hand and object; the other environments on show lie beyond it."""
        scene = scene_data_provider.get_interactive_scene()
        if scene is None:
            return
        origin = scene.env_origins[0].detach().cpu()
        lookat = origin + origin.new_tensor(TABLE_CENTRE)
        eye = lookat + origin.new_tensor(VIEW_DIRECTION) * VIEW_DISTANCE
        self.cfg.lookat, self.cfg.eye = tuple(lookat.tolist()), tuple(eye.tolist())

    def _log_frame(self) -> None:
        """The scene's current poses, as Isaac Lab's ``step()`` logs them with a browser connected."""
        from isaaclab.scene_data import SceneDataFormat

        backend, provider = self.backend, self._scene_data_provider
        self._viewer.begin_frame(self._sim_time)
        try:
            poses = SceneDataFormat.Transform()
            if provider.get_transforms(poses, mapping=self._transform_mapping, count=backend.model.body_count):
                backend.state_0.body_q = poses.transforms
            self._viewer.log_state(backend.state_0)
        finally:
            self._viewer.end_frame()
