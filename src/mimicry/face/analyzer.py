"""Pixels -> per-frame face record: MediaPipe face mesh, alignment, head pose and the emotion network.

This is the costly step (decode + landmarks), run once per video; everything downstream (expressions,
emotions from expressions, neutral reference) is re-computed from its output without the video.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

from mimicry.face import emotion_net, geometry

#: Model files read from models_dir.
CANONICAL_FILE = "canonical_face.npy"
EMOTION_FILE = "emotion_net.pt"
#: Appearance-based emotion columns (FER2013 classes), probabilities 0-1.
FER_COLUMNS = tuple(f"fer_{name}" for name in emotion_net.FER_CLASSES)
MESH_SIZE = geometry.N_LANDMARKS * 3
#: Face crop for the emotion network, in the canonical frame (IOU): centre (x, y) and half side.
CROP_CENTRE = (0.0, -0.05)
CROP_HALF = 1.0
#: Rigid-fit residual (IOU) at which face_score falls to exp(-1); real frontal faces fit to about 0.05.
FIT_SCALE = 0.15

_f32 = pa.float32()
#: Columns of results/landmarks/{participant}.parquet. ``FaceAnalyzer.analyze`` yields all but the first three.
LANDMARK_SCHEMA = pa.schema([
    pa.field("participant_id", pa.string()),
    pa.field("frame", pa.int64()),             # 0-based index in the decoded video, before stride
    pa.field("time_ms", pa.float64()),         # container timestamp, ms
    pa.field("face", pa.bool_()),              # a face was found
    pa.field("n_faces", pa.int16()),           # faces found (max 2); the largest is kept
    pa.field("face_score", _f32),              # 0-1, fit of the mesh's rigid landmarks to the canonical face
    pa.field("pitch", _f32),                   # degrees, > 0 chin up
    pa.field("yaw", _f32),                     # degrees, > 0 nose towards the image right
    pa.field("roll", _f32),                    # degrees, > 0 counter-clockwise in the image
    pa.field("face_size_px", _f32),            # outer-eye-corner distance in pixels (1 IOU)
    pa.field("mesh", pa.list_(_f32, MESH_SIZE)),  # 478 aligned landmarks, IOU, x0,y0,z0,x1,...; null without face
    *(pa.field(name, _f32) for name in FER_COLUMNS),
])
ANALYZER_SCHEMA = pa.schema([LANDMARK_SCHEMA.field(i) for i in range(3, len(LANDMARK_SCHEMA))])


def crop_matrix(image_xy: np.ndarray, canonical: np.ndarray, size: int = emotion_net.INPUT_SIZE) -> np.ndarray:
    """2x3 affine map from crop pixels to image pixels (for cv2.WARP_INVERSE_MAP).

    image_xy: (468+, 2) landmark pixels (x right, y down). The crop is the square CROP_CENTRE +- CROP_HALF
    of the canonical frame, upright whatever the in-plane rotation and scale of the face.
    """
    rig = geometry.RIGID_LANDMARKS
    src = image_xy[rig] * (1.0, -1.0)
    s, r, t = geometry.umeyama(src[None], canonical[rig, :2][None])
    a = r[0].T / s[0]
    b = -a @ t[0]
    k = 2 * CROP_HALF / size
    cx, cy = CROP_CENTRE
    c = np.array([[k, 0.0, cx - CROP_HALF + 0.5 * k], [0.0, -k, cy + CROP_HALF - 0.5 * k]])
    flip = np.diag([1.0, -1.0])
    return np.hstack([flip @ a @ c[:, :2], (flip @ (a @ c[:, 2] + b))[:, None]])


class FaceAnalyzer:
    """Per-frame face analysis of ONE video, in order (MediaPipe tracking state is kept between calls).

    models_dir must hold canonical_face.npy and emotion_net.pt (built by workflow/rules/models.smk).
    Use as a context manager, or call close().
    """

    def __init__(self, models_dir, device: str = "cpu", threads: int = 1, max_num_faces: int = 2,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5):
        import mediapipe as mp
        import torch

        models_dir = Path(models_dir)
        for name in (CANONICAL_FILE, EMOTION_FILE):
            if not (models_dir / name).is_file():
                raise FileNotFoundError(f"{models_dir / name} missing: build it with `snakemake models`")
        torch.set_num_threads(threads)
        self.canonical = np.load(models_dir / CANONICAL_FILE)
        self.net = emotion_net.load(models_dir / EMOTION_FILE, device)
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=max_num_faces, refine_landmarks=True,
            min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Free MediaPipe's graph."""
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None

    def landmarks(self, frame: np.ndarray) -> tuple[np.ndarray | None, int]:
        """(478 x 3 MediaPipe normalised landmarks of the largest face or None, number of faces)."""
        result = self._mesh.process(frame)
        faces = result.multi_face_landmarks or []
        if not faces:
            return None, 0
        arrays = [np.array([(p.x, p.y, p.z) for p in face.landmark]) for face in faces]
        areas = [np.ptp(a[:, 0]) * np.ptp(a[:, 1]) for a in arrays]
        return arrays[int(np.argmax(areas))], len(faces)

    def analyze(self, frames: list[np.ndarray]) -> pa.RecordBatch:
        """Face record of each RGB uint8 frame (H x W x 3), as a RecordBatch with ANALYZER_SCHEMA."""
        n = len(frames)
        found, n_faces, points, crops = np.zeros(n, bool), np.zeros(n, np.int16), [], []
        for i, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"frame {i}: expected H x W x 3 uint8 RGB, got {frame.shape} {frame.dtype}")
            lm, n_faces[i] = self.landmarks(frame)
            if lm is None:
                continue
            found[i] = True
            h, w = frame.shape[:2]
            points.append(geometry.image_to_camera(lm, w, h))
            gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            m = crop_matrix(lm[:, :2] * (w, h), self.canonical)
            size = emotion_net.INPUT_SIZE
            crops.append(cv2.warpAffine(gray, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                        borderMode=cv2.BORDER_REPLICATE))
        cols = {name: np.full(n, np.nan, np.float32) for name in
                ("face_score", "pitch", "yaw", "roll", "face_size_px", *FER_COLUMNS)}
        mesh = np.full((n, MESH_SIZE), np.nan, np.float32)
        if points:
            aligned, pose, px_per_iou, residual = geometry.align(np.stack(points), self.canonical)
            cols["pitch"][found], cols["yaw"][found], cols["roll"][found] = pose.T
            cols["face_size_px"][found] = px_per_iou
            cols["face_score"][found] = np.exp(-((residual / FIT_SCALE) ** 2))
            mesh[found] = aligned.reshape(len(points), MESH_SIZE)
            probs = emotion_net.predict(self.net, np.stack(crops))
            for j, name in enumerate(FER_COLUMNS):
                cols[name][found] = probs[:, j]
        mesh_arr = pa.FixedSizeListArray.from_arrays(pa.array(mesh.ravel()), MESH_SIZE,
                                                     mask=pa.array(~found))
        arrays = [pa.array(found), pa.array(n_faces)]
        arrays += [pa.array(cols[name]) for name in ("face_score", "pitch", "yaw", "roll", "face_size_px")]
        arrays += [mesh_arr] + [pa.array(cols[name]) for name in FER_COLUMNS]
        return pa.RecordBatch.from_arrays(arrays, schema=ANALYZER_SCHEMA)
