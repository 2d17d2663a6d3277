"""Alignment of MediaPipe face meshes to the canonical frontal face, and head pose.

Units: aligned meshes are in inter-ocular units (IOU): 1 = the distance between the outer eye
corners (landmarks 33 and 263) of the canonical face. Axes of the canonical frame: x to the image
right (the subject's left), y up, z towards the camera; origin at the canonical face's origin
(near the nose root). Angles are degrees.
"""

from __future__ import annotations

import numpy as np

#: Number of face-mesh landmarks with refine_landmarks=True (468 mesh + 10 iris).
N_LANDMARKS = 478
#: Outer eye corners (subject's right, left) that define the inter-ocular unit.
OUTER_EYE_CORNERS = (33, 263)
#: Landmarks that expressions barely move (forehead, nose bridge and tip, eye corners, temples):
#: the alignment is fitted on them only, so that a smile or a jaw drop does not tilt the head.
RIGID_LANDMARKS = np.array([
    10, 151, 9, 108, 337, 69, 299, 67, 297, 109, 338, 104, 333,  # forehead
    168, 6, 197, 195, 5, 4, 1,                                     # nose bridge and tip
    33, 133, 362, 263,                                             # eye corners
    127, 356, 162, 389, 21, 251, 54, 284, 234, 454, 93, 323,       # temples and upper face outline
])


def canonical_from_model(vertices: np.ndarray) -> np.ndarray:
    """The canonical face (468 x 3, cm, MediaPipe's canonical_face_model) rescaled to inter-ocular units."""
    vertices = np.asarray(vertices, dtype=np.float64)
    if vertices.shape != (468, 3):
        raise ValueError(f"canonical face must be 468 x 3, got {vertices.shape}")
    a, b = OUTER_EYE_CORNERS
    return vertices / np.linalg.norm(vertices[a] - vertices[b])


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares similarity transforms dst ~ s * R @ src + t, batched (Umeyama 1991).

    src, dst: (B, N, D) point sets. Returns scale (B,), rotation (B, D, D) with det +1, translation (B, D).
    """
    mu_s, mu_d = src.mean(1, keepdims=True), dst.mean(1, keepdims=True)
    xs, xd = src - mu_s, dst - mu_d
    cov = np.einsum("bni,bnj->bij", xd, xs) / src.shape[1]
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones_like(sig)
    d[:, -1] = np.sign(np.linalg.det(u @ vt))
    rot = u @ (d[..., None] * vt)
    var_s = (xs ** 2).sum((1, 2)) / src.shape[1]
    scale = (sig * d).sum(1) / var_s
    trans = mu_d[:, 0] - scale[:, None] * np.einsum("bij,bj->bi", rot, mu_s[:, 0])
    return scale, rot, trans


def image_to_camera(landmarks: np.ndarray, width, height) -> np.ndarray:
    """MediaPipe normalised landmarks (x, y in 0-1 of width/height, z relative) -> pixels, y up, z to camera.

    width, height: image size in pixels, scalars or arrays that broadcast against ``landmarks[..., 0]``
    (e.g. (B, 1) for a batch (B, 478, 3) of frames of different sizes).
    """
    out = np.empty_like(landmarks, dtype=np.float64)
    out[..., 0] = landmarks[..., 0] * width
    out[..., 1] = -landmarks[..., 1] * height
    out[..., 2] = -landmarks[..., 2] * width
    return out


def align(points: np.ndarray, canonical: np.ndarray):
    """Align meshes (B, 478, 3; pixels, y up, z to camera) to the canonical face (468 x 3, IOU).

    Returns (aligned meshes (B, 478, 3) in IOU, pose (B, 3) pitch/yaw/roll in degrees,
    scale (B,) pixels per IOU, residual (B,) RMS distance of the rigid landmarks after alignment, IOU).
    """
    rigid = canonical[RIGID_LANDMARKS]
    src = points[:, RIGID_LANDMARKS]
    scale, rot, trans = umeyama(src, np.broadcast_to(rigid, src.shape))
    aligned = scale[:, None, None] * np.einsum("bij,bnj->bni", rot, points) + trans[:, None]
    residual = np.sqrt(((aligned[:, RIGID_LANDMARKS] - rigid) ** 2).sum(-1).mean(-1))
    return aligned, pose_angles(rot), 1.0 / scale, residual


def pose_angles(rot: np.ndarray) -> np.ndarray:
    """Head pose (B, 3): pitch, yaw, roll in degrees from camera->canonical rotations (B, 3, 3).

    The head's orientation is H = R^T = Rz(roll) Ry(yaw) Rx(-pitch). Signs: pitch > 0 chin up,
    yaw > 0 nose turned towards the image right (the subject's left), roll > 0 head tilted
    counter-clockwise in the image.
    """
    head = np.transpose(rot, (0, 2, 1))
    pitch = -np.arctan2(head[:, 2, 1], head[:, 2, 2])
    yaw = np.arcsin(np.clip(-head[:, 2, 0], -1.0, 1.0))
    roll = np.arctan2(head[:, 1, 0], head[:, 0, 0])
    return np.degrees(np.stack([pitch, yaw, roll], axis=1))
