"""Pixels -> per-frame face record: MediaPipe face mesh, alignment, head pose and the emotion network.

This is the costly step (decode + landmarks), run once per video; everything downstream (expressions,
emotions from expressions, neutral reference) is re-computed from its output without the video.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

from mimicry.face import CANONICAL_FILE, EMOTION_FILE, emotion_net, geometry

#: Model files read from models_dir.
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


def crop_matrices(image_xy: np.ndarray, canonical: np.ndarray, size: int = emotion_net.INPUT_SIZE) -> np.ndarray:
    """2x3 affine maps (B, 2, 3) from crop pixels to image pixels (for cv2.WARP_INVERSE_MAP), batched.

    image_xy: (B, 468+, 2) landmark pixels (x right, y down). The crop is the square CROP_CENTRE +- CROP_HALF
    of the canonical frame, upright whatever the in-plane rotation and scale of the face.
    """
    rig = geometry.RIGID_LANDMARKS
    src = image_xy[:, rig] * (1.0, -1.0)
    s, r, t = geometry.umeyama(src, np.broadcast_to(canonical[rig, :2], src.shape))
    a = np.transpose(r, (0, 2, 1)) / s[:, None, None]          # canonical -> image (y up)
    b = -np.einsum("bij,bj->bi", a, t)
    k = 2 * CROP_HALF / size
    cx, cy = CROP_CENTRE
    c = np.array([[k, 0.0, cx - CROP_HALF + 0.5 * k], [0.0, -k, cy + CROP_HALF - 0.5 * k]])
    flip = np.diag([1.0, -1.0])
    linear = flip @ a @ c[:, :2]
    shift = np.einsum("ij,bj->bi", flip, a @ c[:, 2] + b)
    return np.concatenate([linear, shift[:, :, None]], axis=2)


def landmark_array(landmarks) -> np.ndarray:
    """(N, 3) array of a MediaPipe NormalizedLandmarkList (x, y, z).

    Reads the protobuf wire format with numpy (20x faster than a Python loop over the points): each
    landmark is a 15-byte message (tags 0x0d, 0x15, 0x1d, each followed by a little-endian float32),
    prefixed by its field tag 0x0a and length 0x0f. Any other layout (e.g. visibility set) takes the loop.
    """
    n = len(landmarks.landmark)
    wire = np.frombuffer(landmarks.SerializeToString(), np.uint8)
    if wire.size == 17 * n:
        rows = wire.reshape(n, 17)
        if (rows[:, :3] == (0x0A, 0x0F, 0x0D)).all() and (rows[:, 7] == 0x15).all() and (rows[:, 12] == 0x1D).all():
            xyz = np.ascontiguousarray(rows[:, [3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16]])
            return xyz.view("<f4").astype(np.float64)
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark])


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
        arrays = [landmark_array(face) for face in faces]
        areas = [np.ptp(a[:, 0]) * np.ptp(a[:, 1]) for a in arrays]
        return arrays[int(np.argmax(areas))], len(faces)

    def analyze(self, frames: list[np.ndarray]) -> pa.RecordBatch:
        """Face record of each RGB uint8 frame (H x W x 3), as a RecordBatch with ANALYZER_SCHEMA.

        MediaPipe runs per frame; alignment, crop geometry and the emotion network run once per call,
        batched over the frames with a face. The crop is warped from the colour frame and only the
        64 x 64 crop is converted to grayscale.
        """
        n = len(frames)
        found, n_faces, landmarks = np.zeros(n, bool), np.zeros(n, np.int16), []
        for i, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"frame {i}: expected H x W x 3 uint8 RGB, got {frame.shape} {frame.dtype}")
            lm, n_faces[i] = self.landmarks(frame)
            if lm is not None:
                found[i] = True
                landmarks.append(lm)
        cols = {name: np.full(n, np.nan, np.float32) for name in
                ("face_score", "pitch", "yaw", "roll", "face_size_px", *FER_COLUMNS)}
        mesh = np.full((n, MESH_SIZE), np.nan, np.float32)
        if landmarks:
            index = np.flatnonzero(found)
            sizes = np.array([frames[i].shape[1::-1] for i in index], dtype=np.float64)  # (w, h) per frame
            lm = np.stack(landmarks)
            points = geometry.image_to_camera(lm, sizes[:, :1], sizes[:, 1:])
            aligned, pose, px_per_iou, residual = geometry.align(points, self.canonical)
            cols["pitch"][found], cols["yaw"][found], cols["roll"][found] = pose.T
            cols["face_size_px"][found] = px_per_iou
            cols["face_score"][found] = np.exp(-((residual / FIT_SCALE) ** 2))
            mesh[found] = aligned.reshape(len(index), MESH_SIZE)
            size = emotion_net.INPUT_SIZE
            crops = np.stack([
                cv2.cvtColor(cv2.warpAffine(frames[i], m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                            borderMode=cv2.BORDER_REPLICATE), cv2.COLOR_RGB2GRAY)
                for i, m in zip(index, crop_matrices(lm[:, :, :2] * sizes[:, None], self.canonical))])
            probs = emotion_net.predict(self.net, crops)
            for j, name in enumerate(FER_COLUMNS):
                cols[name][found] = probs[:, j]
        mesh_arr = pa.FixedSizeListArray.from_arrays(pa.array(mesh.ravel()), MESH_SIZE,
                                                     mask=pa.array(~found))
        arrays = [pa.array(found), pa.array(n_faces)]
        arrays += [pa.array(cols[name]) for name in ("face_score", "pitch", "yaw", "roll", "face_size_px")]
        arrays += [mesh_arr] + [pa.array(cols[name]) for name in FER_COLUMNS]
        return pa.RecordBatch.from_arrays(arrays, schema=ANALYZER_SCHEMA)
