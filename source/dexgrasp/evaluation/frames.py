"""Turning observation images into pictures people look at (simulation-free)."""

from __future__ import annotations

import numpy as np
import torch


def to_rgb(image: torch.Tensor) -> np.ndarray:
    """One channel-first image as HxWx3 uint8: RGB as is, depth in [0, 1] colour-mapped (near = warm)."""
    img = image.detach().float().cpu()
    if img.shape[0] == 3:
        scale = 1.0 if image.dtype == torch.uint8 else 255.0
        return (img * scale).clamp(0, 255).byte().permute(1, 2, 0).numpy()
    from matplotlib import colormaps

    depth = img[0].clamp(0, 1).numpy()
    return (colormaps["turbo_r"](depth)[..., :3] * 255).astype(np.uint8)


def camera_row(images: dict[str, torch.Tensor], index: int) -> np.ndarray:
    """The images of environment ``index`` side by side (left before right for a stereo pair)."""
    return np.concatenate([to_rgb(images[name][index]) for name in sorted(images)], axis=1)


def grid(rows: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Stack equally wide rows with a white gap."""
    width = max(r.shape[1] for r in rows)
    out = []
    for row in rows:
        padded = np.full((row.shape[0] + pad, width, 3), 255, dtype=np.uint8)
        padded[: row.shape[0], : row.shape[1]] = row
        out.append(padded)
    return np.concatenate(out, axis=0)


def upscale(image: np.ndarray, min_height: int = 256) -> np.ndarray:
    """``image`` enlarged by an integer factor (nearest pixel) to at least ``min_height`` rows, so small training
    images stay visible."""
    factor = max(1, min_height // max(1, image.shape[0]))
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def to_height(image: np.ndarray, height: int) -> np.ndarray:
    """``image`` resized (nearest pixel) to ``height`` rows, its aspect kept."""
    rows = np.linspace(0, image.shape[0] - 1, height).round().astype(int)
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    cols = np.linspace(0, image.shape[1] - 1, width).round().astype(int)
    return image[rows][:, cols]


def picture(view: np.ndarray | None, row: np.ndarray | None, height: int = 240, pad: int = 2) -> np.ndarray:
    """One moment for people: the third-person ``view`` and the policy's own images (``row``) beside it, both
    ``height`` rows high (either may be missing, not both)."""
    parts = [to_height(p, height) for p in (view, row) if p is not None]
    gap = np.full((height, pad, 3), 255, dtype=np.uint8)
    return np.concatenate([x for part in parts for x in (part, gap)][:-1], axis=1)


def labelled(image: np.ndarray, text: str, height: int = 14) -> np.ndarray:
    """``image`` under a white strip that reads ``text``."""
    from PIL import Image, ImageDraw

    strip = Image.new("RGB", (image.shape[1], height), "white")
    ImageDraw.Draw(strip).text((3, 1), text, fill="black")
    return np.concatenate([np.asarray(strip), image], axis=0)


def sheet(frames: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Frames in reading order, four to a line (two when each is a wide stereo pair), white gaps between them."""
    columns = 4 if frames[0].shape[1] <= 1.5 * frames[0].shape[0] else 2
    lines = []
    for start in range(0, len(frames), columns):
        line = list(frames[start : start + columns])
        line += [np.full_like(frames[0], 255)] * (columns - len(line))
        gap = np.full((frames[0].shape[0], pad, 3), 255, dtype=np.uint8)
        lines.append(np.concatenate([part for frame in line for part in (frame, gap)][:-1], axis=1))
    return grid(lines, pad)


def save_png(image: np.ndarray, path: str, min_height: int = 256) -> None:
    from PIL import Image

    Image.fromarray(upscale(image, min_height)).save(path)


def save_video(frames: list[np.ndarray], path: str, fps: float) -> None:
    """An MP4 that plays in real time: ``fps`` is the rate the frames were taken at (the policy's step rate)."""
    import imageio.v2 as imageio

    with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=1) as writer:
        for frame in frames:
            writer.append_data(upscale(frame))
