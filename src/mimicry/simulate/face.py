"""The source face: one real photograph, its 478 MediaPipe landmarks, framed like a webcam recording.

The landmarks are detected once, on the photograph, by the pipeline's own Face Landmarker (the .task bundle
that the scorer reads, ``mimicry.face.analyzer.face_landmarker``), so the simulator warps exactly the landmark
model the scorer measures; every rendered frame is a warp of that image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: The Face Landmarker's landmarks without the 10 iris points (those sit inside the eye opening
#: and would fold the warp when the lids close).
N_MESH = 468


@dataclass(frozen=True)
class SourceFace:
    """A neutral face photograph framed for the output video.

    image: RGB uint8 (height x width x 3) at the output size; mesh: (478, 2) float pixel coordinates
    (x, y) of the Face Landmarker's landmarks in ``image``.
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


def detect_mesh(image: np.ndarray, task_path: str | Path, min_detection_confidence: float = 0.5) -> np.ndarray:
    """The 478 landmarks of the largest face in an RGB image, (478, 2) pixels (x, y).

    task_path: the Face Landmarker bundle (face_landmarker.task, rule models_face_landmarker); it runs once in
    IMAGE mode on the whole image (``face_landmarker``, read by ``largest_face``). Raises ValueError without a face.
    """
    from mimicry.face.analyzer import face_landmarker, largest_face

    with face_landmarker(task_path, 1, min_detection_confidence) as landmarker:
        landmarks, _ = largest_face(landmarker, image)
    if landmarks is None:
        raise ValueError("no face found in the source photograph")
    height, width = image.shape[:2]
    return landmarks[:, :2] * (width, height)


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


def prepare_face(path: str | Path, frame: int, width: int, height: int, face_height: float,
                 task_path: str | Path) -> SourceFace:
    """Read a photograph (or a video frame), detect its landmarks once with the Face Landmarker bundle
    ``task_path`` (``detect_mesh``) and frame it for the output video."""
    image = read_frame(path, frame)
    return frame_face(image, detect_mesh(image, task_path), width, height, face_height)
