"""Occlusion of the lower face (a hand or an object over the mouth, nose or chin; docs/quality.md).

Measured from the edges, in the face's own frame (outer eye corners level, lengths in IOD, the distance
between them): the lower face's edge layout (nostrils, the lip line, the chin, the nasolabial folds) stays
where it is whatever the expression, while a hand brings edges of its own (finger outlines, the gaps between
fingers) and hides the face's. Two stages, like the scores: ``edge_histograms`` per frame during extraction
(the pixels are needed; stored in results/landmarks/), and ``changed_fraction`` per participant during
scoring, against the participant's own typical edges (no pixels needed).
"""

from __future__ import annotations

import cv2
import numpy as np

from mimicry.face import geometry

#: The lower-face box in IOD from the midpoint of the outer eye corners: x across the face (-0.55 to 0.55:
#: about the width between the pupils' outer edges, inside the face up to ~30 degrees of yaw), y down from the
#: eye line (0.2: below the lower lids, so blinks do not count; 1.35: the chin). It holds the nose, the mouth
#: and the chin; it is sampled into PATCH_PX x PATCH_PX grey pixels (about 44 px per IOD, ~2 mm a pixel).
BOX_IOD = (-0.55, 0.55, 0.2, 1.35)
PATCH_PX = 48
#: GRID x GRID cells (~0.28 IOD, ~2.5 cm, a finger's width or two), each a histogram of BINS unsigned
#: gradient directions (0-180 degrees) weighted by gradient magnitude.
GRID = 4
BINS = 8
N_VALUES = GRID * GRID * BINS
#: A cell has changed when its edges point elsewhere or are gone: the cosine distance between its direction
#: histogram and the participant's usual one exceeds CHANGED_DISTANCE (0.5: a 60 degree angle between the
#: two, the midpoint between the same directions, 0, and unrelated ones, 1), or its edge strength is below
#: EDGE_LOSS times the usual (half of its edges gone: a smooth palm or object over the lips, the nostrils or
#: the chin). More edges than usual do not count: an open mouth (teeth, the dark inside) adds edges.
CHANGED_DISTANCE = 0.5
EDGE_LOSS = 0.5

_CELL = PATCH_PX // GRID
_CELL_INDEX = (np.arange(PATCH_PX)[:, None] // _CELL * GRID + np.arange(PATCH_PX)[None, :] // _CELL) * BINS


def lower_face_patch(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The BOX_IOD lower face of an RGB uint8 ``frame`` as a PATCH_PX x PATCH_PX grey float32 image (0-255),
    upright; ``landmarks``: the face's normalised MediaPipe landmarks (478, 3)."""
    h, w = frame.shape[:2]
    right, left = (landmarks[i, :2] * (w, h) for i in geometry.OUTER_EYE_CORNERS)
    iod = max(float(np.hypot(*(left - right))), 1e-6)
    across = (left - right) / iod
    down = np.array([-across[1], across[0]])
    x0, x1, y0, y1 = BOX_IOD
    step_x, step_y = (x1 - x0) * iod / PATCH_PX, (y1 - y0) * iod / PATCH_PX
    to_frame = np.column_stack([across * step_x, down * step_y, (right + left) / 2 + iod * (across * x0 + down * y0)])
    patch = cv2.warpAffine(frame, to_frame, (PATCH_PX, PATCH_PX), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    return cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32)


def edge_histograms(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Edge-direction histograms of the lower face (``lower_face_patch``), float32 (N_VALUES,): GRID x GRID
    cells, row by row from the face's upper right (image left), each BINS bins of unsigned gradient direction
    (0-180 degrees) summing the Sobel gradient magnitude of its pixels relative to the patch's mean grey level
    (a contrast: the same under a brighter or dimmer light)."""
    grey = lower_face_patch(frame, landmarks)
    grey /= max(float(grey.mean()), 1.0)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    direction = np.minimum((angle % np.pi) * (BINS / np.pi), BINS - 1).astype(np.intp)
    return np.bincount((_CELL_INDEX + direction).ravel(), magnitude.ravel(), N_VALUES).astype(np.float32)


def changed_fraction(histograms: np.ndarray) -> np.ndarray:
    """Per frame, the fraction (0-1, in steps of 1 / GRID**2) of lower-face cells whose edges changed: their
    direction histogram is more than CHANGED_DISTANCE (cosine distance) from the participant's usual one
    (the median over all ``histograms`` of the direction histograms scaled to unit length, rescaled), or
    their edge strength (the histogram's sum) is below EDGE_LOSS times its median over all ``histograms``.

    ``histograms``: (frames, N_VALUES) ``edge_histograms`` of ONE participant, NaN rows for frames without a
    face (NaN out). The median holds while the lower face is clear more than half of the face frames.
    """
    cells = np.asarray(histograms, np.float64).reshape(len(histograms), GRID * GRID, BINS)
    valid = ~np.isnan(cells).any(axis=(1, 2))
    out = np.full(len(cells), np.nan)
    if not valid.any():
        return out
    cells = cells[valid]
    strength = cells.sum(-1)
    unit = cells / np.maximum(np.linalg.norm(cells, axis=-1, keepdims=True), 1e-9)
    usual = np.median(unit, axis=0)
    usual /= np.maximum(np.linalg.norm(usual, axis=-1, keepdims=True), 1e-9)
    turned = 1.0 - (unit * usual).sum(-1) > CHANGED_DISTANCE
    lost = strength < EDGE_LOSS * np.median(strength, axis=0)
    out[valid] = (turned | lost).mean(axis=1)
    return out
