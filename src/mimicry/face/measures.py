"""FACS-grounded geometric measures of aligned face meshes, in inter-ocular units (IOU).

The meshes are aligned to the canonical face on rigid landmarks (``geometry.align``), so heights are
y coordinates in a head-fixed frame (up > 0) and widths are |x| from the midline. Measures are taken
per side where the face has two (``_r`` = subject's right, image left), then differenced against the
participant's own neutral reference (``delta``), and combined into the head's features (``features``):
bilateral means plus the left/right asymmetry of the lip corners (smirk).
"""

from __future__ import annotations

import numpy as np

# MediaPipe face-mesh landmark groups (subject's right side first, then the mirror landmarks).
_SIDES = {
    "inner_brow": ([107, 66, 55, 65], [336, 296, 285, 295]),
    "outer_brow": ([70, 63, 46, 53], [300, 293, 276, 283]),
    "upper_lid": ([159, 158, 160], [386, 385, 387]),
    "lower_lid": ([145, 144, 153], [374, 373, 380]),
    "cheek": ([117, 118, 50, 101], [346, 347, 280, 330]),
    "ala": ([98, 64], [327, 294]),
    "corner": ([61], [291]),
}
UPPER_LIP_OUTER, UPPER_LIP_INNER, LOWER_LIP_INNER, LOWER_LIP_OUTER = [0, 37, 267], [13], [14], [17]
MENTON, CHIN_BOSS = [152], [175, 199, 200]

#: Raw per-side and midline measures (IOU), in order.
RAW_MEASURES = (
    "inner_brow_r", "inner_brow_l",        # height of the inner brow (AU1 up, AU4 down)
    "outer_brow_r", "outer_brow_l",        # height of the outer brow (AU2)
    "upper_lid_r", "upper_lid_l",          # height of the upper lid (AU5 up, AU43 down)
    "lower_lid_r", "lower_lid_l",          # height of the lower lid (AU6/AU7 up)
    "aperture_r", "aperture_l",            # eye opening, upper minus lower lid
    "cheek_r", "cheek_l",                  # height of the infraorbital cheek (AU6)
    "ala_r", "ala_l",                      # height of the nostril wings (AU9)
    "corner_up_r", "corner_up_l",          # lip-corner height above the inner-lip midpoint (AU12 up, AU15 down)
    "corner_out_r", "corner_out_l",        # lip-corner distance from the midline (AU12/AU20 out, AU18 in)
    "corner_z_r", "corner_z_l",            # lip-corner depth, towards the camera > 0 (AU14 back)
    "brow_gap",                            # distance between the inner brows (AU4 draws them together)
    "upper_lip",                           # height of the upper lip (AU10)
    "lip_thickness",                       # visible red of both lips (AU24 press, AU28 suck)
    "lip_gap",                             # inner-lip opening (AU25)
    "jaw",                                 # height of the menton (AU26 down)
    "chin",                                # height of the chin boss (AU17 up)
    "lip_protrusion",                      # lip depth towards the camera (AU18 forward)
)
#: Features of the AU head: bilateral means of the per-side measures, the midline measures and the
#: lip-corner asymmetry |(up + out)_left - (up + out)_right| (unilateral AU12: smirk). Deltas, IOU.
FEATURES = (
    "inner_brow", "outer_brow", "upper_lid", "lower_lid", "aperture", "cheek", "ala", "corner_up",
    "corner_out", "corner_z", "brow_gap", "upper_lip", "lip_thickness", "lip_gap", "jaw", "chin",
    "lip_protrusion", "corner_asymmetry",
)


def _mean(mesh: np.ndarray, idx, axis: int) -> np.ndarray:
    return mesh[:, idx, axis].mean(1)


def raw_measures(mesh: np.ndarray) -> np.ndarray:
    """Measures (N, len(RAW_MEASURES)) of aligned meshes (N, 478, 3) or flat (N, 1434); IOU; NaN rows stay NaN."""
    mesh = np.asarray(mesh, dtype=np.float64).reshape(len(mesh), -1, 3)
    y = {name: (_mean(mesh, r, 1), _mean(mesh, l, 1)) for name, (r, l) in _SIDES.items()}
    mouth_mid = (_mean(mesh, UPPER_LIP_INNER, 1) + _mean(mesh, LOWER_LIP_INNER, 1)) / 2
    corner_r, corner_l = _SIDES["corner"]
    cols = [
        *y["inner_brow"], *y["outer_brow"], *y["upper_lid"], *y["lower_lid"],
        y["upper_lid"][0] - y["lower_lid"][0], y["upper_lid"][1] - y["lower_lid"][1],
        *y["cheek"], *y["ala"],
        y["corner"][0] - mouth_mid, y["corner"][1] - mouth_mid,
        -_mean(mesh, corner_r, 0), _mean(mesh, corner_l, 0),
        _mean(mesh, corner_r, 2), _mean(mesh, corner_l, 2),
        _mean(mesh, _SIDES["inner_brow"][1], 0) - _mean(mesh, _SIDES["inner_brow"][0], 0),
        _mean(mesh, UPPER_LIP_OUTER, 1),
        (_mean(mesh, UPPER_LIP_OUTER[:1], 1) - _mean(mesh, UPPER_LIP_INNER, 1))
        + (_mean(mesh, LOWER_LIP_INNER, 1) - _mean(mesh, LOWER_LIP_OUTER, 1)),
        _mean(mesh, UPPER_LIP_INNER, 1) - _mean(mesh, LOWER_LIP_INNER, 1),
        _mean(mesh, MENTON, 1),
        _mean(mesh, CHIN_BOSS, 1),
        (_mean(mesh, UPPER_LIP_OUTER[:1], 2) + _mean(mesh, LOWER_LIP_OUTER, 2)) / 2,
    ]
    return np.stack(cols, axis=1)


def neutral_reference(raw: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Median of the raw measures over the neutral frames with a face (len(RAW_MEASURES),)."""
    rows = raw[np.asarray(neutral, bool) & ~np.isnan(raw).any(1)]
    if not len(rows):
        raise ValueError("no neutral frame with a face: cannot build the neutral reference")
    return np.median(rows, axis=0)


def features(delta: np.ndarray) -> np.ndarray:
    """Head features (N, len(FEATURES)) from raw-measure deltas (N, len(RAW_MEASURES)), IOU."""
    col = {name: delta[:, i] for i, name in enumerate(RAW_MEASURES)}
    out = []
    for name in FEATURES[:-1]:
        if f"{name}_r" in col:
            out.append((col[f"{name}_r"] + col[f"{name}_l"]) / 2)
        else:
            out.append(col[name])
    asym = (col["corner_up_l"] + col["corner_out_l"]) - (col["corner_up_r"] + col["corner_out_r"])
    out.append(np.abs(asym))
    return np.stack(out, axis=1)
