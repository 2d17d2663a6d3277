"""Expressions as displacements of the MediaPipe face mesh.

Each simulated expression is a (478, 2) displacement field in pixels at intensity 1 (a clear,
full expression). Displacements are defined in a face-local frame (origin between the pupils,
x along the eyes, y down the face, unit = the inter-pupil distance, IOD) as smooth Gaussian bumps
around a few landmarks, optionally masked to one lip or to the upper eyelids so that e.g. a jaw
drop moves the lower lip but not the upper one. Intensities add linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mimicry.names import EXPRESSIONS

# MediaPipe face-mesh landmarks used below.
_PUPILS = (468, 473)  # iris centres (subject's right, left)
_UPPER_INNER_LIP = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
_LOWER_INNER_LIP = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
_UPPER_LIDS, _LOWER_LIDS = (159, 386), (145, 374)


@dataclass(frozen=True)
class Bump:
    """Landmarks (one per side) pulled by (out, up) IOD, weights falling off as a Gaussian of ``sigma`` IOD.

    out > 0 moves away from the face's midline, up > 0 moves towards the forehead. mask: None,
    "upper" (above the mouth line), "lower" (below it) or "lids" (above the eyes' centre line).
    """

    landmarks: tuple[int, ...]
    sigma: float
    out: float = 0.0
    up: float = 0.0
    mask: str | None = None


#: The expressions the simulator can plant (names from mimicry.names.EXPRESSIONS), amplitudes in IOD.
SPECS: dict[str, tuple[Bump, ...]] = {
    "smile": (Bump((61, 291), 0.16, out=0.10, up=0.14),),
    "cheek_raise": (Bump((118, 347), 0.25, up=0.06),),
    "brow_furrow": (Bump((55, 285), 0.15, out=-0.05, up=-0.08), Bump((107, 336), 0.15, out=-0.03, up=-0.04)),
    "inner_brow_raise": (Bump((55, 285), 0.15, up=0.07), Bump((107, 336), 0.15, up=0.05)),
    "brow_raise": (Bump((105, 334), 0.25, up=0.10), Bump((70, 300), 0.2, up=0.05)),
    "eye_widen": (Bump((159, 386), 0.12, up=0.06, mask="lids"),),
    "lip_corner_depressor": (Bump((61, 291), 0.15, out=0.01, up=-0.08),),
    "lip_stretch": (Bump((61, 291), 0.2, out=0.09, up=-0.02),),
    "mouth_open": (Bump((14, 17), 0.2, up=-0.06, mask="lower"), Bump((13, 0), 0.2, up=0.015, mask="upper")),
    "nose_wrinkle": (Bump((129, 358), 0.12, up=0.06), Bump((55, 285), 0.12, up=-0.02),
                     Bump((0,), 0.2, up=0.03, mask="upper")),
    "upper_lip_raise": (Bump((0,), 0.22, up=0.07, mask="upper"),),
}
#: Jaw drop: everything below the mouth line moves down by this many IOD (less towards the ears).
JAW_DROP_IOD = 0.2
#: Eye closure (a blink at intensity 1): the upper lids come down by this fraction of the lid gap.
EYE_CLOSURE_FRACTION = 0.95
SIMULATED = tuple(sorted((*SPECS, "jaw_drop", "eye_closure")))
assert set(SIMULATED) <= set(EXPRESSIONS)


def face_frame(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Face-local frame of a mesh: (origin (2,), rotation (2, 2) whose rows are the x and y axes, IOD pixels)."""
    right, left = mesh[_PUPILS[0]], mesh[_PUPILS[1]]
    iod = float(np.linalg.norm(left - right))
    ex = (left - right) / iod
    return (right + left) / 2, np.array([ex, [-ex[1], ex[0]]]), iod


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(z / 2))


def _masks(local: np.ndarray) -> dict[str, np.ndarray]:
    """Soft (0-1) membership of each landmark in the regions a Bump can be masked to."""
    mid = (local[_UPPER_INNER_LIP] + local[_LOWER_INNER_LIP]) / 2
    order = np.argsort(mid[:, 0])
    mouth_line = np.interp(local[:, 0], mid[order, 0], mid[order, 1])
    upper = _sigmoid((mouth_line - local[:, 1]) / 0.004)
    upper[_UPPER_INNER_LIP[1:-1]], upper[_LOWER_INNER_LIP[1:-1]] = 1.0, 0.0  # a closed mouth's lips touch
    eye_line = local[[*_UPPER_LIDS, *_LOWER_LIDS], 1].mean()
    return {"upper": upper, "lower": 1 - upper, "lids": _sigmoid((eye_line - local[:, 1]) / 0.01)}


def _bump_field(local: np.ndarray, bump: Bump, masks: dict) -> np.ndarray:
    field = np.zeros_like(local)
    for index in bump.landmarks:
        centre = local[index]
        weight = np.exp(-((local - centre) ** 2).sum(axis=1) / (2 * bump.sigma**2))
        field += weight[:, None] * [bump.out * np.sign(centre[0]), -bump.up]
    return field * (masks[bump.mask][:, None] if bump.mask else 1.0)


def expression_basis(mesh: np.ndarray) -> dict[str, np.ndarray]:
    """Displacement of every landmark at intensity 1, {expression: (n, 2) pixels}, for a neutral mesh (n >= 478)."""
    origin, rotation, iod = face_frame(mesh)
    local = (mesh - origin) @ rotation.T / iod
    masks = _masks(local)
    fields = {name: sum(_bump_field(local, b, masks) for b in bumps) for name, bumps in SPECS.items()}
    lateral = np.clip(1 - (local[:, 0] / 0.95) ** 2, 0, 1)
    fields["jaw_drop"] = np.outer(masks["lower"] * lateral * JAW_DROP_IOD, [0, 1])
    gaps = local[list(_LOWER_LIDS), 1] - local[list(_UPPER_LIDS), 1]
    lids = (Bump((_UPPER_LIDS[0],), 0.1, up=-gaps[0] * EYE_CLOSURE_FRACTION, mask="lids"),
            Bump((_UPPER_LIDS[1],), 0.1, up=-gaps[1] * EYE_CLOSURE_FRACTION, mask="lids"))
    fields["eye_closure"] = sum(_bump_field(local, b, masks) for b in lids)
    return {name: fields[name] @ rotation * iod for name in SIMULATED}
