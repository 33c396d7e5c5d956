"""How much of the object a policy's cameras see: the share of each image's pixels that show the object.

A state teacher acts on the object's pose whether or not a camera sees it; a student that sees images can only copy
what they show. Measuring the object's pixels per step makes that observability gap visible next to where teacher
and student disagree (:mod:`dexgrasp.evaluation.label_gap`).

The pixels come from Newton's per-pixel shape index, which the Newton warp renderer fills when a camera asks for a
segmentation output. Isaac Lab's segmentation outputs themselves cannot be used: they label a shape through the USD
prim of its path, and Newton draws the object through a visual shape it synthesizes (``.../Object/geometry/
mesh_visual``) that has no prim, so every object pixel comes out UNLABELLED. The shape index names that shape
directly, and the object's shapes are found by their path.
"""

from __future__ import annotations

import torch

SEGMENTATION = "instance_segmentation"
"""The camera output whose request makes the renderer fill its shape-index buffer."""


def policy_cameras(env_cfg) -> list[str]:
    """Scene names of the cameras the policy sees (``*_camera``), in scene order."""
    return [name for name, value in vars(env_cfg.scene).items() if name.endswith("_camera") and value is not None]


def request_object_pixels(env_cfg) -> list[str]:
    """Ask every policy camera of ``env_cfg`` for the shape index (before the scene is built); return their names.

    Raises ``ValueError`` for a task without cameras."""
    names = policy_cameras(env_cfg)
    if not names:
        raise ValueError("this task has no camera: object visibility needs a Depth or StereoRGB task")
    for name in names:
        camera = getattr(env_cfg.scene, name)
        if SEGMENTATION not in camera.data_types:
            camera.data_types = [*camera.data_types, SEGMENTATION]
    return names


class ObjectPixels:
    """Per step, the share of each camera's pixels showing the object, per environment."""

    def __init__(self, env, camera_names: list[str]):
        self._cameras = [env.scene[name] for name in camera_names]
        self.camera_names = list(camera_names)
        import warp as wp

        render_data = self._render_data(self._cameras[0])
        ids = [i for i, path in enumerate(render_data.newton_sensor.model.shape_label) if "/Object/" in path]
        if not ids:
            raise RuntimeError("no shape of the Newton model lies under an environment's Object prim")
        device = wp.to_torch(render_data.outputs.shape_index_image).device
        self._object_shapes = torch.tensor(ids, dtype=torch.int64, device=device)  # where the images are

    @staticmethod
    def _render_data(camera):
        render_data = getattr(camera, "_render_data", None)
        if render_data is None or getattr(render_data.outputs, "shape_index_image", None) is None:
            raise RuntimeError(f"camera {camera.cfg.prim_path} renders no shape index: call request_object_pixels")
        return render_data

    def shares(self) -> torch.Tensor:
        """``(num_envs, num_cameras)``: the share of each camera's latest image that shows the object."""
        import warp as wp

        columns = []
        for camera in self._cameras:
            index = wp.to_torch(self._render_data(camera).outputs.shape_index_image).to(torch.int64)
            on_object = torch.isin(index, self._object_shapes)  # (worlds, 1, height, width)
            columns.append(on_object.flatten(1).float().mean(dim=1).cpu())  # counted where the images are
        return torch.stack(columns, dim=1)


SHARE_BINS = (0.0, 0.005, 0.01)
"""Upper edges of the visibility bins, as a share of the image: hidden (no object pixel in any camera), up to
0.5 %, up to 1 %, and above (the 6 cm cube at the workspace centre fills about 1.3 % of an image)."""


def share_bin(share: torch.Tensor) -> torch.Tensor:
    """Bin index of each share (0: hidden)."""
    return torch.bucketize(share, torch.tensor(SHARE_BINS), right=False)


def bin_names() -> list[str]:
    edges = [f"{100 * e:g}%" for e in SHARE_BINS]
    return ["hidden"] + [f"({lo}, {hi}]" for lo, hi in zip(edges, edges[1:])] + [f"over {edges[-1]}"]


class EpisodeVisibility:
    """Each environment's running episode: the mean over its steps of the object's image share (the larger of the
    cameras'), and the share of its steps in which no camera shows any of the object."""

    def __init__(self, num_envs: int):
        self.steps = torch.zeros(num_envs)
        """Steps each environment's running episode has counted so far."""
        self._share = torch.zeros(num_envs)
        self._hidden = torch.zeros(num_envs)

    def add(self, shares: torch.Tensor) -> torch.Tensor:
        """Count one step (``shares`` ``(num_envs, num_cameras)``); return each environment's larger share."""
        share = shares.max(dim=1).values
        self.steps += 1
        self._share += share
        self._hidden += (share == 0).float()
        return share

    def close(self, i: int) -> dict | None:
        """Environment ``i``'s episode as CSV columns (None when it has no step); starts its next episode."""
        steps = float(self.steps[i])
        if steps == 0:
            return None
        row = {"object_share": round(float(self._share[i]) / steps, 6)}
        row["object_hidden"] = round(float(self._hidden[i]) / steps, 4)
        for acc in (self.steps, self._share, self._hidden):
            acc[i] = 0.0
        return row


COLUMNS = ("object_share", "object_hidden")
"""Columns :class:`EpisodeVisibility` adds to an evaluation's ``episodes.csv``."""
OUTCOMES = {
    "both": (True, True),
    "teacher_only": (True, False),
    "student_only": (False, True),
    "neither": (False, False),
}


MOSTLY_HIDDEN = 0.5
"""An episode whose object no camera shows in more than this share of its steps is "mostly hidden"."""


def observability(teacher_rows: list[dict], student_rows: list[dict]) -> dict:
    """Per outcome of the same episodes (both succeed, only the teacher, only the student, neither): how many, and
    how much of the object the student's cameras showed in them (mean object share, mean share of hidden steps);
    and per view of the student (object mostly hidden or not, :data:`MOSTLY_HIDDEN`): how many episodes, and how
    many of them each policy succeeded in. Rows as :func:`~dexgrasp.evaluation.paired.read_evaluation` reads them,
    the student's with :data:`COLUMNS`."""
    teacher = {row["episode"]: row["success"] for row in teacher_rows}
    views = {}
    for name, hidden in (("mostly_hidden", True), ("mostly_seen", False)):
        rows = [r for r in student_rows if (float(r["object_hidden"]) > MOSTLY_HIDDEN) == hidden]
        views[name] = {
            "episodes": len(rows),
            "teacher_successes": sum(teacher[r["episode"]] for r in rows),
            "student_successes": sum(r["success"] for r in rows),
        }
    cells = {}
    for name, (by_teacher, by_student) in OUTCOMES.items():
        rows = [r for r in student_rows if teacher[r["episode"]] == by_teacher and r["success"] == by_student]
        cells[name] = {
            "episodes": len(rows),
            **{
                f"mean_{column}": sum(float(r[column]) for r in rows) / len(rows) if rows else None
                for column in COLUMNS
            },
        }
    return {"outcomes": cells, "student_view": views}


class VisibilityGap:
    """Per step and per episode, the object's image share (the larger of the cameras') next to the gap between a
    policy's action and a teacher's label, by part of the action.

    ``add`` takes one step of every environment; ``end`` closes the episodes of the given environments into rows.
    """

    def __init__(self, num_envs: int, parts: list[str]):
        self.parts = list(parts)
        n = len(SHARE_BINS) + 1
        self.bin_steps = torch.zeros(n)
        self.bin_gap = {part: torch.zeros(n) for part in parts}
        self._seen = EpisodeVisibility(num_envs)
        self._gap = {part: torch.zeros(num_envs) for part in parts}
        self.episodes: list[dict] = []

    def add(self, shares: torch.Tensor, gaps: dict[str, torch.Tensor]) -> None:
        """``shares`` ``(num_envs, num_cameras)``; ``gaps`` per part ``(num_envs,)``."""
        bins = share_bin(self._seen.add(shares))
        self.bin_steps.index_add_(0, bins, torch.ones(len(bins)))
        for part in self.parts:
            self.bin_gap[part].index_add_(0, bins, gaps[part])
            self._gap[part] += gaps[part]

    def end(self, env_ids: torch.Tensor) -> None:
        for i in env_ids.tolist():
            steps = float(self._seen.steps[i])
            seen = self._seen.close(i)
            if seen is None:
                continue
            row = {"env": i, "steps": int(steps), **seen}
            row.update({f"gap_{part}": float(self._gap[part][i]) / steps for part in self.parts})
            self.episodes.append(row)
            for acc in self._gap.values():
                acc[i] = 0.0

    def summary(self) -> dict:
        """Per bin: its share of the steps and the mean gap of each part."""
        total = float(self.bin_steps.sum())
        return {
            name: {
                "share_of_steps": float(self.bin_steps[b]) / total if total else 0.0,
                **{
                    f"gap_{part}": float(self.bin_gap[part][b] / self.bin_steps[b]) if self.bin_steps[b] else None
                    for part in self.parts
                },
            }
            for b, name in enumerate(bin_names())
        }
