"""The source face: one real photograph, its MediaPipe face mesh, framed like a webcam recording.

The mesh is detected once, on the photograph; every rendered frame is a warp of that image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: Landmarks of the MediaPipe face mesh without the 10 iris points (those sit inside the eye opening
#: and would fold the warp when the lids close).
N_MESH = 468


@dataclass(frozen=True)
class SourceFace:
    """A neutral face photograph framed for the output video.

    image: RGB uint8 (height x width x 3) at the output size; mesh: (478, 2) float pixel coordinates
    (x, y) of the MediaPipe landmarks in ``image``.
    """

    image: np.ndarray
    mesh: np.ndarray

    def save(self, path: str | Path) -> None:
        """Write to an ``.npz`` file (``path`` should end in .npz; numpy adds it otherwise)."""
        np.savez_compressed(path, image=self.image, mesh=self.mesh)

    @classmethod
    def load(cls, path: str | Path) -> "SourceFace":
        with np.load(path) as data:
            return cls(image=data["image"], mesh=data["mesh"])


def read_frame(path: str | Path, frame: int = 0) -> np.ndarray:
    """One RGB frame of an image or video file (``frame``: 0-based index; images have only frame 0)."""
    cap = cv2.VideoCapture(str(path))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, frame)
        ok, bgr = cap.read()
    finally:
        cap.release()
    if not ok:
        raise ValueError(f"{path}: cannot read frame {frame}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def detect_mesh(image: np.ndarray) -> np.ndarray:
    """The 478 MediaPipe face-mesh landmarks of the one face in an RGB image, (478, 2) pixels (x, y)."""
    import mediapipe as mp

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        result = mesh.process(image)
    if not result.multi_face_landmarks:
        raise ValueError("no face found in the source photograph")
    height, width = image.shape[:2]
    points = result.multi_face_landmarks[0].landmark
    return np.array([[p.x * width, p.y * height] for p in points], dtype=np.float64)


def frame_face(image: np.ndarray, mesh: np.ndarray, width: int, height: int, face_height: float) -> SourceFace:
    """Crop and scale the photograph so that the face fills ``face_height`` (0-1) of a width x height frame.

    The crop has the output's aspect ratio, is centred on the face and stays inside the photograph
    (so the face may come out smaller than asked when the photograph is tight).
    """
    img_h, img_w = image.shape[:2]
    top, bottom = mesh[:, 1].min(), mesh[:, 1].max()
    crop_h = min((bottom - top) / face_height, img_h, img_w * height / width)
    crop_w = crop_h * width / height
    cx, cy = mesh[:, 0].mean(), (top + bottom) / 2
    x0 = int(round(np.clip(cx - crop_w / 2, 0, img_w - crop_w)))
    y0 = int(round(np.clip(cy - crop_h / 2, 0, img_h - crop_h)))
    crop_w, crop_h = min(int(round(crop_w)), img_w - x0), min(int(round(crop_h)), img_h - y0)
    framed = cv2.resize(image[y0 : y0 + crop_h, x0 : x0 + crop_w], (width, height), interpolation=cv2.INTER_AREA)
    return SourceFace(image=framed, mesh=(mesh - [x0, y0]) * [width / crop_w, height / crop_h])


def prepare_face(path: str | Path, frame: int, width: int, height: int, face_height: float) -> SourceFace:
    """Read a photograph (or a video frame), detect its mesh once and frame it for the output video."""
    image = read_frame(path, frame)
    return frame_face(image, detect_mesh(image), width, height, face_height)
