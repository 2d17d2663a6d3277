"""Rendering: piecewise-affine warps of the source face, webcam life, planted problems, streamed to mp4.

A frame is made in this order: expression warp of the face (mesh triangles), glasses and hand drawn
on it, head motion (a small similarity transform of the whole frame), brightness drift, sensor noise;
the mp4v encoder adds compression. Camera-off frames are dark sensor noise. Frames are written one
at a time; nothing holds the whole video.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import Delaunay

from mimicry.io import atomic_path
from mimicry.simulate.expressions import SIMULATED, expression_basis, expression_shading, face_frame
from mimicry.simulate.face import N_MESH, SourceFace

#: Mouth and eye landmarks used to place the hand, the glasses and the inside of an open mouth.
_MOUTH = (13, 14, 61, 291)
#: Sensor noise is drawn from a bank of this many independent noise frames (drawing per frame is slow).
NOISE_FRAMES = 24
_INNER_LIPS = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95]
_EYES = ((33, 133, 159, 145), (263, 362, 386, 374))


class Warper:
    """Piecewise-affine warp of an image over the mesh triangles.

    The triangles are the Delaunay triangulation of the 468 landmarks and a fixed ring of anchors
    around the face, so the warp fades out into the background. Moving the landmarks defines a
    forward map x -> x + d(x), d linear inside each triangle; each output pixel p takes the colour at
    the source point q solving q + d(q) = p, found by Newton's method on a grid of every ``coarse``-th
    pixel and interpolated linearly in between (q is piecewise linear, so this loses little).
    """

    def __init__(self, image: np.ndarray, mesh: np.ndarray, ring: int = 24, margin: float = 1.5, coarse: int = 2):
        height, width = image.shape[:2]
        points = mesh[:N_MESH]
        centre = (points.min(0) + points.max(0)) / 2
        half = (points.max(0) - points.min(0)) / 2 * margin
        angles = np.linspace(0, 2 * np.pi, ring, endpoint=False)
        anchors = np.clip(centre + half * np.c_[np.cos(angles), np.sin(angles)], 0, [width - 1, height - 1])
        self.image, self.n_anchors, self.coarse = image, ring, coarse
        x0, y0 = np.floor(anchors.min(0)).astype(int)
        # a whole number of coarse cells, inside the image
        x1 = x0 + coarse * min(int(np.ceil((anchors[:, 0].max() + 1 - x0) / coarse)), (width - x0) // coarse)
        y1 = y0 + coarse * min(int(np.ceil((anchors[:, 1].max() + 1 - y0) / coarse)), (height - y0) // coarse)
        self.box = (slice(y0, y1), slice(x0, x1))
        self.grid = _grid(x0, x1, y0, y1, 1)
        self.nodes = _grid(x0, x1, y0, y1, coarse)
        self.interpolate = _barycentric_matrix(Delaunay(np.vstack([points, anchors])), self.nodes.reshape(-1, 2))

    def warp(self, displacement: np.ndarray, image: np.ndarray | None = None, iterations: int = 4,
             max_step: float = 3.0) -> np.ndarray:
        """``image`` (default: the source image; same size, same face) with landmark i moved by
        ``displacement[i]`` (pixels, (>= 468, 2)); anchors stay put.

        Newton steps are clipped to ``max_step`` pixels; where the lips part there is no source point
        (the mouth's inside is painted by :func:`draw_mouth`).
        """
        image = self.image if image is None else image
        if np.abs(displacement[:N_MESH]).max() < 0.01:
            return image.copy()
        moves = np.vstack([displacement[:N_MESH], np.zeros((self.n_anchors, 2))])
        field = (self.interpolate @ moves).astype(np.float32).reshape(self.nodes.shape)
        # slopes per pixel: d(dx)/dy, d(dx)/dx, d(dy)/dy, d(dy)/dx
        slopes = np.dstack([*np.gradient(field[..., 0], self.coarse), *np.gradient(field[..., 1], self.coarse)])
        to_index = lambda q: (q - self.nodes[0, 0]) / self.coarse  # noqa: E731 (node coordinates)
        q = self.nodes - field
        for _ in range(iterations):
            index = to_index(q)
            d = cv2.remap(field, index, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            g = cv2.remap(slopes, index, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            rx, ry = np.moveaxis(q + d - self.nodes, 2, 0)
            jxx, jxy, jyx, jyy = 1 + g[..., 1], g[..., 0], g[..., 3], 1 + g[..., 2]
            det = np.maximum(jxx * jyy - jxy * jyx, 0.05)
            step = np.dstack([(jyy * rx - jxy * ry) / det, (jxx * ry - jyx * rx) / det])
            q = q - np.clip(step, -max_step, max_step)
        shape = self.grid.shape[1::-1]
        source = self.grid + cv2.resize(q - self.nodes, shape, interpolation=cv2.INTER_LINEAR)
        out = image.copy()
        out[self.box] = cv2.remap(image, source, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        return out


def _grid(x0: int, x1: int, y0: int, y1: int, step: int) -> np.ndarray:
    """(rows, cols, 2) float32 pixel coordinates (x, y) of the centres of step x step cells of a box."""
    offset = (step - 1) / 2
    gx, gy = np.meshgrid(np.arange(x0, x1, step) + offset, np.arange(y0, y1, step) + offset)
    return np.dstack([gx, gy]).astype(np.float32)


def _barycentric_matrix(triangulation: Delaunay, points: np.ndarray) -> sparse.csr_matrix:
    """Sparse (n_points, n_vertices) matrix of barycentric weights: a field given at the triangulation's
    vertices, times this matrix, is its piecewise-linear interpolation at ``points`` (0 outside)."""
    simplex = triangulation.find_simplex(points)
    inside = np.flatnonzero(simplex >= 0)
    transform = triangulation.transform[simplex[inside]]
    b = np.einsum("nij,nj->ni", transform[:, :2], points[inside] - transform[:, 2])
    weights = np.c_[b, 1 - b.sum(axis=1)]
    rows = np.repeat(inside, 3)
    cols = triangulation.simplices[simplex[inside]].ravel()
    return sparse.csr_matrix((weights.ravel(), (rows, cols)), shape=(len(points), len(triangulation.points)))


def smooth_noise(rng: np.random.Generator, t_s: np.ndarray, max_hz: float = 0.3, n: int = 4) -> np.ndarray:
    """A slow random signal in [-1, 1]: the mean of ``n`` sinusoids below ``max_hz`` with random phases."""
    freqs = rng.uniform(0.02, max_hz, n)
    phases = rng.uniform(0, 2 * np.pi, n)
    return np.sin(2 * np.pi * np.outer(t_s, freqs) + phases).mean(axis=1) * np.sqrt(2)


def envelope(t_ms: np.ndarray, start: float, peak: float, end: float) -> np.ndarray:
    """0-1 time course of one reaction: raised-cosine rise from start to peak, fall from peak to end (ms)."""
    rise = np.clip((t_ms - start) / max(peak - start, 1e-9), 0, 1)
    fall = np.clip((t_ms - peak) / max(end - peak, 1e-9), 0, 1)
    return np.where(t_ms < peak, 0.5 - 0.5 * np.cos(np.pi * rise), 0.5 + 0.5 * np.cos(np.pi * fall))


def blink_track(rng: np.random.Generator, t_ms: np.ndarray, per_min: float, blink_ms: float = 200.0) -> np.ndarray:
    """Eye closure (0-1) of spontaneous blinks: a Poisson process of ``per_min`` blinks a minute."""
    duration = t_ms[-1] if len(t_ms) else 0.0
    starts = rng.uniform(0, duration, rng.poisson(per_min * duration / 60000))
    track = np.zeros_like(t_ms)
    for s in starts:
        track = np.maximum(track, 1 - np.abs(t_ms - s - blink_ms / 2) / (blink_ms / 2))
    return np.clip(track, 0, 1)


def talking_track(rng: np.random.Generator, t_ms: np.ndarray) -> np.ndarray:
    """Mouth movement of speech (0-1): about 4 syllables a second with varying loudness."""
    loudness = 0.6 + 0.4 * smooth_noise(rng, t_ms / 1000, max_hz=1.5)
    return loudness * np.abs(np.sin(2 * np.pi * 2.0 * t_ms / 1000 + rng.uniform(0, np.pi)))


def expression_tracks(events: pd.DataFrame, t_ms: np.ndarray, rng: np.random.Generator, blinks_per_min: float):
    """Intensity of every simulated expression at every frame time: {expression: (n_frames,) array}.

    Planted reactions (their envelope times their peak), talking (jaw drop and mouth open during
    talking events, times the event's peak) and spontaneous blinks (eye closure) add up.
    """
    tracks = {name: np.zeros_like(t_ms) for name in SIMULATED}
    for ev in events.itertuples(index=False):
        if ev.event == "reaction":
            tracks[ev.reaction] += ev.peak * envelope(t_ms, ev.start_ms, ev.peak_ms, ev.end_ms)
        elif ev.event == "talking":
            talk = ev.peak * talking_track(rng, t_ms) * ((t_ms >= ev.start_ms) & (t_ms < ev.end_ms))
            tracks["jaw_drop"] += talk
            tracks["mouth_open"] += talk
    tracks["eye_closure"] = np.maximum(tracks["eye_closure"], blink_track(rng, t_ms, blinks_per_min))
    return tracks


def during(events: pd.DataFrame, kind: str, t_ms: np.ndarray) -> np.ndarray:
    """Whether each time (ms) falls inside an event of ``kind``."""
    inside = np.zeros(len(t_ms), dtype=bool)
    for ev in events[events["event"] == kind].itertuples(index=False):
        inside |= (t_ms >= ev.start_ms) & (t_ms < ev.end_ms)
    return inside


def skin_colour(image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """Median RGB of the cheeks (landmarks 50 and 280, a small box each)."""
    size = max(2, int(face_frame(mesh)[2] * 0.08))
    boxes = [image[int(y) - size : int(y) + size, int(x) - size : int(x) + size].reshape(-1, 3) for x, y in mesh[[50, 280]]]
    return np.median(np.vstack(boxes), axis=0)


def draw_hand(frame: np.ndarray, mesh: np.ndarray, colour: np.ndarray, wobble: float) -> None:
    """Paint a skin-coloured hand over the mouth, in place: a palm below the mouth and four fingers
    across it (shaded, with dark creases between them). ``wobble`` (-1 to 1) shifts it a little."""
    origin, rotation, iod = face_frame(mesh)
    across, down = rotation * iod
    palm = mesh[list(_MOUTH)].mean(0) + across * 0.35 + down * (0.35 + 0.05 * wobble)
    fingers = [(palm - across * 0.1 + down * (k * 0.17 - 0.62), palm - across * (0.9 + 0.05 * (k % 2)) + down * (k * 0.17 - 0.55))
               for k in range(4)]
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.ellipse(mask, _pt(palm), (int(iod * 0.45), int(iod * 0.4)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    width = max(2, int(iod * 0.16))
    for base, tip in fingers:
        cv2.line(mask, _pt(base), _pt(tip), 255, width, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(mask, (3, 3), 0)[..., None] / 255.0
    rows = np.linspace(1.08, 0.88, frame.shape[0])[:, None, None]
    hand = np.clip(colour * rows, 0, 255)
    frame[:] = (frame * (1 - alpha) + hand * alpha).astype(np.uint8)
    for (base, tip), (nbase, ntip) in zip(fingers, fingers[1:]):
        crease = [_pt((base + nbase) / 2), _pt((tip + ntip) / 2 + across * 0.1)]
        cv2.line(frame, *crease, tuple(int(c * 0.7) for c in colour), 1, cv2.LINE_AA)


def _pt(xy: np.ndarray) -> tuple[int, int]:
    """An OpenCV drawing point from float pixel coordinates."""
    return int(round(xy[0])), int(round(xy[1]))


#: Incisors, in IOD from the neutral face's lip line (the middle of its inner lips, down > 0): the upper ones
#: are fixed to the skull, their edges this far below the lip line (a relaxed face shows a few millimetres
#: of them when the lips part); the lower ones ride on the jaw (they move with the chin, landmark 152), their
#: edges this far below the lip line when the jaw is closed (above the upper edge: the upper incisors overlap
#: them). Crown heights; the visible teeth span TEETH_WIDTH of the mouth's width (dark beyond: the corners
#: of the mouth), their edges curving up (upper) or down (lower) by TEETH_CURVE at that lateral end.
UPPER_EDGE_IOD, LOWER_EDGE_IOD, CROWN_IOD = 0.04, 0.0, 0.16
TEETH_WIDTH, TEETH_CURVE = (0.8, 0.65), 0.03
_CAVITY_RGB, _TEETH_RGB = (35, 12, 15), (185, 175, 165)


def draw_mouth(frame: np.ndarray, mesh: np.ndarray, neutral: np.ndarray) -> None:
    """Paint the inside of the mouth where the lips have parted, in place: a dark cavity and the incisors
    that the parted lips uncover, the upper ones where the skull holds them, the lower ones moved down with
    the jaw (``UPPER_EDGE_IOD`` ...). Lips parted with the jaw closed (AU25, AU10) show teeth together;
    a dropped jaw (AU26) shows the dark gap between them.

    ``mesh``: the warped landmarks; ``neutral``: the source's, whose own lip gap is left as photographed.
    """
    opening = (mesh[14, 1] - mesh[13, 1]) - (neutral[14, 1] - neutral[13, 1])
    if opening < 0.5:
        return
    _, rotation, iod = face_frame(neutral)
    lips = mesh[_INNER_LIPS]
    x0, y0 = np.maximum(np.floor(lips.min(0)).astype(int) - 2, 0)
    x1, y1 = np.ceil(lips.max(0)).astype(int) + 3
    roi = frame[y0:y1, x0:x1]
    cavity = np.zeros(roi.shape[:2], np.uint8)
    cv2.fillPoly(cavity, [np.round((lips - [x0, y0]) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    # pixel centres in the face frame, IOD from the neutral lip line's middle: u across, v down
    ys, xs = np.mgrid[y0 : y0 + roi.shape[0], x0 : x0 + roi.shape[1]]
    rel = (np.dstack([xs, ys]) - (neutral[13] + neutral[14]) / 2) @ rotation.T / iod
    u, v = rel[..., 0], rel[..., 1]
    corners = (mesh[[78, 308]] - (neutral[13] + neutral[14]) / 2) @ rotation.T / iod
    centre, half = corners[:, 0].mean(), np.ptp(corners[:, 0]) / 2
    jaw = float((mesh[152] - neutral[152]) @ rotation[1]) / iod
    teeth = np.zeros(roi.shape[:2])
    for edge, sign, width in ((UPPER_EDGE_IOD, -1, TEETH_WIDTH[0]), (LOWER_EDGE_IOD + jaw, 1, TEETH_WIDTH[1])):
        lateral = np.clip(np.abs(u - centre) / (width * half), 0, None)
        curved = edge + sign * TEETH_CURVE * lateral**2  # sign -1: the upper edge curves up towards the corners
        depth = sign * (v - curved)  # > 0 on the crown side of the edge
        inside = np.clip(depth * iod + 0.5, 0, 1) * np.clip((CROWN_IOD - depth) * iod + 0.5, 0, 1)
        teeth = np.maximum(teeth, inside * np.clip((1 - lateral) * width * half * iod + 0.5, 0, 1))
    alpha = min(1.0, opening / 2) * cavity[..., None] / 255.0
    inside = np.array(_CAVITY_RGB) * (1 - teeth[..., None]) + np.array(_TEETH_RGB) * teeth[..., None]
    roi[:] = (roi * (1 - alpha) + inside * alpha).astype(np.uint8)


#: Eye openings (contour landmarks: outer corner, upper lid to the inner corner, lower lid back), per eye.
_EYE_OPENINGS = ((33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7),
                 (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249))
#: Closed-lid paint: opacity rises from 0 at this eye closure (0-1) to 1 at full closure.
LID_PAINT_FROM = 0.7


def draw_lids(frame: np.ndarray, mesh: np.ndarray, closure: float) -> None:
    """Paint what is left of each eye opening as closed-lid skin with a dark lash line, in place.

    ``mesh``: the warped landmarks; ``closure``: the eye closure intensity (0-1); nothing below
    LID_PAINT_FROM. The lid colour is the warped frame's skin just above the upper lid (0.08 IOD).
    """
    opacity = float(np.clip((closure - LID_PAINT_FROM) / (1 - LID_PAINT_FROM), 0, 1))
    if opacity == 0:
        return
    origin, rotation, iod = face_frame(mesh)
    for contour in _EYE_OPENINGS:
        eye = mesh[list(contour)]
        x, y = _pt(mesh[contour[4]] - rotation[1] * iod * 0.08)
        lid = np.median(frame[y - 1 : y + 2, x - 2 : x + 3].reshape(-1, 3), axis=0)
        mask = np.zeros(frame.shape[:2], np.uint8)
        points = [np.round(eye * 16).astype(np.int32)]
        cv2.fillPoly(mask, points, 255, cv2.LINE_AA, shift=4)
        cv2.polylines(mask, points, True, 255, 2, cv2.LINE_AA, shift=4)
        a = mask[..., None] * (opacity / 255.0)
        frame[:] = (frame * (1 - a) + lid * a).astype(np.uint8)
        lashes = np.round(eye[[0, 15, 14, 13, 12, 11, 10, 9, 8]] * 16).astype(np.int32)
        lash = np.zeros_like(mask)
        cv2.polylines(lash, [lashes], False, 255, 1, cv2.LINE_AA, shift=4)
        a = lash[..., None] * (0.6 * opacity / 255.0)
        frame[:] = (frame * (1 - a) + np.array((40, 30, 30)) * a).astype(np.uint8)


def draw_glasses(frame: np.ndarray, mesh: np.ndarray) -> None:
    """Draw thin dark spectacle rims, a bridge and temples around the eyes, in place."""
    origin, rotation, iod = face_frame(mesh)
    angle = float(np.degrees(np.arctan2(rotation[0, 1], rotation[0, 0])))
    thick = max(1, int(round(iod * 0.04)))
    centres = [mesh[list(eye)].mean(0) for eye in _EYES]
    for centre in centres:
        cv2.ellipse(frame, tuple(int(v) for v in centre), (int(iod * 0.4), int(iod * 0.27)), angle, 0, 360,
                    (25, 25, 30), thick, cv2.LINE_AA)
    inner = [c + sign * rotation[0] * iod * 0.4 for c, sign in zip(centres, (1, -1))]
    cv2.line(frame, tuple(int(v) for v in inner[0]), tuple(int(v) for v in inner[1]), (25, 25, 30), thick, cv2.LINE_AA)
    for centre, side, ear in zip(centres, (-1, 1), (127, 356)):
        rim = centre + side * rotation[0] * iod * 0.4
        cv2.line(frame, tuple(int(v) for v in rim), tuple(int(v) for v in mesh[ear]), (25, 25, 30), thick, cv2.LINE_AA)


def head_motion(rng: np.random.Generator, t_ms: np.ndarray, video: dict, centre: np.ndarray) -> np.ndarray:
    """Per-frame (n, 2, 3) similarity transforms: shifts of up to head_shift_px, roll up to head_roll_deg
    and scale up to 2 %, slow and smooth, about ``centre`` (pixels)."""
    t_s = t_ms / 1000
    dx, dy = (video["head_shift_px"] * smooth_noise(rng, t_s) for _ in range(2))
    roll = video["head_roll_deg"] * smooth_noise(rng, t_s)
    scale = 1 + 0.02 * smooth_noise(rng, t_s)
    out = np.empty((len(t_ms), 2, 3))
    for i in range(len(t_ms)):
        out[i] = cv2.getRotationMatrix2D(tuple(centre), roll[i], scale[i])
        out[i, :, 2] += (dx[i], dy[i])
    return out


def frame_times(duration_ms: float, fps: float) -> np.ndarray:
    """Nominal time (ms) of each frame of a recording of ``duration_ms`` at ``fps``."""
    return np.arange(int(np.ceil(duration_ms * fps / 1000))) * 1000 / fps


@contextlib.contextmanager
def video_writer(path: str | Path, fps: float, width: int, height: int):
    """An mp4v ``cv2.VideoWriter`` whose file appears at ``path`` only once it is complete."""
    with atomic_path(path) as part:
        tmp = part.with_name(part.name + ".mp4")  # OpenCV picks the container from the file extension
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        try:
            if not writer.isOpened():
                raise RuntimeError(f"{path}: cannot open an mp4v video writer")
            yield writer
            writer.release()
            os.replace(tmp, part)
        finally:
            writer.release()
            tmp.unlink(missing_ok=True)


class FaceRenderer:
    """The source face making expressions: wrinkles and furrows shaded on the skin, the warp, then the
    open mouth's inside.

    ``render(intensities)`` takes one intensity (0-1.5, 0 = neutral) per expression of ``SIMULATED``, in that
    order, and returns the RGB frame and the moved landmarks ((478, 2) pixels; the pupils stay). All
    intensities 0 give the source image exactly.
    """

    def __init__(self, face: SourceFace):
        self.face = face
        self.warper = Warper(face.image, face.mesh)
        basis = expression_basis(face.mesh)
        self.fields = np.stack([basis[name] for name in SIMULATED]).reshape(len(SIMULATED), -1)
        shading = expression_shading(face.mesh, face.image.shape[:2])
        self.shaded = [(SIMULATED.index(name), m[self.warper.box]) for name, m in shading.items()]

    def shade(self, intensities: np.ndarray) -> np.ndarray:
        """The source image with the wrinkles and furrows of ``intensities`` (darkening > 0 towards black,
        lightening < 0 towards white, summed over expressions)."""
        active = [(intensities[i], m) for i, m in self.shaded if intensities[i] != 0]
        if not active:
            return self.face.image
        total = sum(a * m for a, m in active)[..., None]
        box = self.face.image[self.warper.box].astype(np.float32)
        image = self.face.image.copy()
        image[self.warper.box] = np.clip(np.where(total > 0, box * (1 - total), box - (255 - box) * total), 0, 255)
        return image

    def render(self, intensities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        intensities = np.asarray(intensities, float)
        displacement = (intensities @ self.fields).reshape(-1, 2)
        frame = self.warper.warp(displacement, self.shade(intensities))
        mesh = self.face.mesh.copy()
        mesh[:N_MESH] += displacement[:N_MESH]
        draw_mouth(frame, mesh, self.face.mesh)
        draw_lids(frame, mesh, intensities[SIMULATED.index("eye_closure")])
        return frame, mesh


def expression_frames(face: SourceFace, intensities, noise_sd: float, rng: np.random.Generator, lead_in: int = 10,
                      hold: int = 4, rest: int = 3) -> tuple[list[np.ndarray], list]:
    """A known-motion recording of ``face``: ``lead_in`` neutral frames, then each simulated expression
    alone at each intensity (0-1.5) for ``hold`` frames followed by ``rest`` neutral frames; Gaussian
    sensor noise of SD ``noise_sd`` (0-255 levels) on every frame, so repeats are not identical.
    Returns (RGB frames, labels: "neutral" or (expression, intensity))."""
    renderer = FaceRenderer(face)
    frames, labels = [], []

    def show(picture, label, n):
        for _ in range(n):
            frames.append(np.clip(picture + rng.normal(0, noise_sd, picture.shape), 0, 255).astype(np.uint8))
            labels.append(label)

    show(face.image, "neutral", lead_in)
    for expression in SIMULATED:
        for intensity in intensities:
            show(renderer.render(intensity * np.eye(len(SIMULATED))[SIMULATED.index(expression)])[0],
                 (expression, intensity), hold)
            show(face.image, "neutral", rest)
    return frames, labels


def render_video(face: SourceFace, events: pd.DataFrame, duration_ms: float, video: dict, glasses: bool,
                 rng: np.random.Generator, path: str | Path) -> dict:
    """Render one participant's recording to ``path`` (mp4, mp4v codec), atomically.

    ``events``: the participant's rows of the truth table (plan.EVENT_COLUMNS); ``video``: config
    demo.video (width and height of ``face.image``, fps, noise_sd in 0-255 levels, brightness_drift
    0-1, head_shift_px, head_roll_deg, blinks_per_min). Returns {"frames": n, "seconds": render time}.
    """
    began = time.perf_counter()
    height, width = face.image.shape[:2]
    t_ms = frame_times(duration_ms, video["fps"])
    tracks = expression_tracks(events, t_ms, rng, video["blinks_per_min"])
    intensities = np.stack([tracks[name] for name in SIMULATED], axis=1)
    camera_off, hand = during(events, "camera_off", t_ms), during(events, "hand_over_mouth", t_ms)
    motion = head_motion(rng, t_ms, video, face.mesh[:N_MESH].mean(0))
    brightness = 1 + video["brightness_drift"] * smooth_noise(rng, t_ms / 1000, max_hz=0.05)
    wobble = smooth_noise(rng, t_ms / 1000, max_hz=1.0)
    renderer, skin = FaceRenderer(face), skin_colour(face.image, face.mesh)
    noise = (rng.standard_normal((NOISE_FRAMES, height, width, 3), dtype=np.float32) * video["noise_sd"]).astype(np.int16)
    dark = np.full((height, width, 3), 4, np.uint8)
    with video_writer(path, video["fps"], width, height) as writer:
        for i in range(len(t_ms)):
            if camera_off[i]:
                frame = dark
            else:
                frame, mesh = renderer.render(intensities[i])  # the pupils stay: they place hand and glasses
                if glasses:
                    draw_glasses(frame, mesh)
                if hand[i]:
                    draw_hand(frame, mesh, skin, wobble[i])
                frame = cv2.warpAffine(frame, motion[i], (width, height), borderMode=cv2.BORDER_REFLECT101)
                frame = cv2.convertScaleAbs(frame, alpha=brightness[i])
            frame = cv2.add(frame, noise[rng.integers(NOISE_FRAMES)], dtype=cv2.CV_8U)
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return {"frames": len(t_ms), "seconds": time.perf_counter() - began}
