"""The expression (AU) head: MediaPipe's 52 blendshapes -> 20 expressions, 0-100, in PyTorch.

``features`` turns the blendshape network's scores (0-1, ``blendshape_net.BLENDSHAPES``) into the head's
inputs (``FEATURES``): left/right pairs averaged, the unilateral smile and dimpler as |left - right|, and
two conjunctions for the action units the network has no live channel for (its cheekSquint and
noseSneer never leave 0): ``squint_with_smile`` = min(eye squint, smile) for AU6 and
``sneer_conjunction`` = min(upper-lip raise, brow lowering) for AU9. The head is one linear layer and
``100 * clamp(z, 0, 1)``: z = 1 is a full-intensity (FACS level E) expression.

Default weights: ``MAPPING``, written from the FACS definitions of each action unit and the ARKit
definitions of the blendshapes, before any labelled face was looked at (docs/models.md says why for
each row). A lab with AU-coded video fits its own head with ``train`` (rule ``train_au_head``, config
``models.au_table``): a table of ``FEATURES`` columns plus expression labels 0-100.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from mimicry.face import MAPPING_VERSION
from mimicry.face.blendshape_net import BLENDSHAPES
from mimicry.names import EXPRESSIONS

#: Bilateral blendshapes averaged over sides: feature name -> ARKit stem (Left/Right appended).
BILATERAL = {
    "brow_down": "browDown", "brow_outer_up": "browOuterUp", "cheek_squint": "cheekSquint",
    "eye_blink": "eyeBlink", "eye_squint": "eyeSquint", "eye_wide": "eyeWide", "mouth_dimple": "mouthDimple",
    "mouth_frown": "mouthFrown", "mouth_lower_down": "mouthLowerDown", "mouth_press": "mouthPress",
    "mouth_smile": "mouthSmile", "mouth_stretch": "mouthStretch", "mouth_upper_up": "mouthUpperUp",
    "nose_sneer": "noseSneer",
}
#: Blendshapes used as they are: feature name -> ARKit name.
SINGLE = {
    "brow_inner_up": "browInnerUp", "jaw_open": "jawOpen", "mouth_close": "mouthClose",
    "mouth_funnel": "mouthFunnel", "mouth_pucker": "mouthPucker", "mouth_roll_lower": "mouthRollLower",
    "mouth_roll_upper": "mouthRollUpper", "mouth_shrug_lower": "mouthShrugLower",
}
FEATURES = (*BILATERAL, *SINGLE, "smile_asymmetry", "dimple_asymmetry", "squint_with_smile", "sneer_conjunction")

#: Gains of the network's weak channels: 1 / the highest score the channel reached on 46 real faces
#: (issue 13's measurement: eyeWide <= 0.066, mouthDimple <= 0.12, mouthFrown <= 0.16), rounded, so that
#: the strongest movement seen on real faces scores about 100 instead of 7-16.
WEAK_GAIN = {"eye_wide": 15.0, "mouth_dimple": 8.0, "mouth_frown": 6.0}

#: expression -> {feature: weight}; score = 100 * clamp(sum(weight * feature), 0, 1). FACS code and the
#: ARKit definition of each blendshape used (Apple ARFaceAnchor.BlendShapeLocation):
MAPPING = {
    "inner_brow_raise": {"brow_inner_up": 1.0},                    # AU1; browInnerUp: inner brows up
    "brow_raise": {"brow_outer_up": 1.0},                          # AU2; browOuterUp: outer brows up
    "brow_furrow": {"brow_down": 1.0, "sneer_conjunction": -1.0},  # AU4; browDown: brows down (less AU9)
    "eye_widen": {"eye_wide": WEAK_GAIN["eye_wide"]},              # AU5; eyeWide: eyelids widened
    # AU6 raises the cheeks and narrows the eyes from below; eyeSquint ("contraction of the face around
    # the eye") mixes AU6 and AU7. With lifted mouth corners (AU12, the Duchenne smile) the narrowing is
    # read as AU6, without them as AU7; cheekSquint, the direct channel, is kept though dead in this model.
    "cheek_raise": {"squint_with_smile": 1.0, "cheek_squint": 1.0},
    "lid_tighten": {"eye_squint": 1.0, "squint_with_smile": -1.0},  # AU7: the squint not explained by AU6
    # AU9 wrinkles the nose, lowers the inner brows and raises the upper lip at once; noseSneer (dead in
    # this model) is kept, and the conjunction of brow lowering and upper-lip raising stands for the rest.
    # As with AU6/AU7, the part of brow lowering and upper-lip raising that AU9 explains is not scored again
    # as AU4 or AU10 (FACS codes AU9's own appearance changes as AU9 only).
    "nose_wrinkle": {"sneer_conjunction": 1.0, "nose_sneer": 1.0},
    "upper_lip_raise": {"mouth_upper_up": 1.0, "sneer_conjunction": -1.0},  # AU10; mouthUpperUp: upper lip up
    "smile": {"mouth_smile": 1.0},                                 # AU12; mouthSmile: corners up
    "smirk": {"smile_asymmetry": 1.0},                             # unilateral AU12
    "dimpler": {"mouth_dimple": WEAK_GAIN["mouth_dimple"]},        # AU14; mouthDimple: corners back
    "lip_corner_depressor": {"mouth_frown": WEAK_GAIN["mouth_frown"]},  # AU15; mouthFrown: corners down
    "chin_raise": {"mouth_shrug_lower": 1.0},                      # AU17; mouthShrugLower: lower lip out/up
    "lip_pucker": {"mouth_pucker": 1.0},                           # AU18; mouthPucker: closed lips pursed
    "lip_stretch": {"mouth_stretch": 1.0},                         # AU20; mouthStretch: corners sideways
    "lip_press": {"mouth_press": 1.0},                             # AU24; mouthPress: lips pressed
    "lip_suck": {"mouth_roll_lower": 0.5, "mouth_roll_upper": 0.5},  # AU28; mouthRoll: lips rolled in
    # AU25, lips part: the jaw opens (jawOpen) without the lips held together (mouthClose), or the lower
    # lip is pulled down (mouthLowerDown, AU16).
    "mouth_open": {"jaw_open": 1.0, "mouth_close": -1.0, "mouth_lower_down": 0.5},
    "jaw_drop": {"jaw_open": 1.0},                                 # AU26; jawOpen: jaw opened
    "eye_closure": {"eye_blink": 1.0},                             # AU43; eyeBlink: eyelids closed
}
assert set(MAPPING) == set(EXPRESSIONS) and all(set(m) <= set(FEATURES) for m in MAPPING.values())


def features(blendshapes: np.ndarray) -> np.ndarray:
    """Head features (N, len(FEATURES)) of blendshape scores (N, 52; 0-1, NaN rows = no face)."""
    b = {name: blendshapes[:, i] for i, name in enumerate(BLENDSHAPES)}
    side = {f: (b[stem + "Left"], b[stem + "Right"]) for f, stem in BILATERAL.items()}
    cols = {f: (left + right) / 2 for f, (left, right) in side.items()}
    cols.update({f: b[name] for f, name in SINGLE.items()})
    cols["smile_asymmetry"] = np.abs(np.subtract(*side["mouth_smile"]))
    cols["dimple_asymmetry"] = np.abs(np.subtract(*side["mouth_dimple"]))
    cols["squint_with_smile"] = np.minimum(cols["eye_squint"], cols["mouth_smile"])
    cols["sneer_conjunction"] = np.minimum(cols["mouth_upper_up"], cols["brow_down"])
    return np.stack([cols[f] for f in FEATURES], axis=1)


class AUHead(nn.Module):
    """Linear map of head features to expression intensities, 100 * clamp(z, 0, 1) -> 0-100."""

    def __init__(self, n_features: int = len(FEATURES), n_outputs: int = len(EXPRESSIONS)):
        super().__init__()
        self.linear = nn.Linear(n_features, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 100 * torch.clamp(self.linear(x), 0, 1)


def mapping_head() -> AUHead:
    """The default head: weights from ``MAPPING``, no bias."""
    weights = np.zeros((len(EXPRESSIONS), len(FEATURES)))
    for i, expression in enumerate(EXPRESSIONS):
        for feature, w in MAPPING[expression].items():
            weights[i, FEATURES.index(feature)] = w
    head = AUHead()
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor(weights, dtype=torch.float32))
        head.linear.bias.zero_()
    return head.eval()


def train(table: pd.DataFrame, seed: int = 0, ridge: float = 1e-6, quantile: float = 0.99) -> tuple[AUHead, dict]:
    """Fit an AUHead to a table (FEATURES + any EXPRESSIONS columns, labels 0-100, NaN = not coded).

    Each expression's row of the linear layer is a ridge least-squares fit of label / 100 on the
    features (rows with that label coded; ``ridge`` per row, the bias not penalised); expressions the
    table does not code keep their ``MAPPING`` row. Calibration: each fitted output is shifted and
    rescaled so that the ``quantile`` of its value on the rows where nothing is active (all coded labels
    0) maps to 0 and a full-intensity value 1 stays 1. Validation: per-expression correlation, mean
    absolute error (points) and neutral false-positive rate on a held-out 20% of the rows (``seed``).
    """
    missing = [c for c in FEATURES if c not in table.columns]
    if missing:
        raise ValueError(f"training table lacks feature columns: {', '.join(missing)}")
    coded = [e for e in EXPRESSIONS if e in table.columns]
    if not coded:
        raise ValueError("the training table has none of the expression columns " + ", ".join(EXPRESSIONS))
    x = table[list(FEATURES)].to_numpy(float)
    y = table.reindex(columns=EXPRESSIONS).to_numpy(float) / 100
    if np.isnan(x).any():
        raise ValueError(f"training table: {int(np.isnan(x).any(1).sum())} rows with missing features")
    test = np.random.default_rng(seed).random(len(x)) < 0.2
    resting = ~test & (np.nan_to_num(y) == 0).all(1)
    if resting.sum() < 10:
        raise ValueError("training table needs at least 10 rows with no expression (all labels 0) to calibrate")
    head = mapping_head()
    weights = np.hstack([head.linear.weight.detach().numpy(), head.linear.bias.detach().numpy()[:, None]])
    xa = np.hstack([x, np.ones((len(x), 1))])
    for j, expression in enumerate(EXPRESSIONS):
        ok = ~test & ~np.isnan(y[:, j])
        if expression not in coded or not ok.any():
            continue
        a = xa[ok]
        penalty = ridge * len(a) * np.diag(np.r_[np.ones(a.shape[1] - 1), 0.0])
        w = np.linalg.solve(a.T @ a + penalty, a.T @ y[ok, j])
        q = np.quantile(xa[resting] @ w, quantile)
        weights[j] = (w - q * np.eye(len(w))[-1]) / (1 - q)
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor(weights[:, :-1], dtype=torch.float32))
        head.linear.bias.copy_(torch.tensor(weights[:, -1], dtype=torch.float32))
    pred, truth = predict(head, x[test]), y[test] * 100
    validation = {}
    for j, expression in enumerate(EXPRESSIONS):
        ok = ~np.isnan(truth[:, j])
        if ok.sum() > 2 and truth[ok, j].std() > 0:
            zero = ok & (truth[:, j] == 0)
            validation[expression] = {"r": round(float(np.corrcoef(pred[ok, j], truth[ok, j])[0, 1]), 4),
                                      "mae": round(float(np.abs(pred[ok, j] - truth[ok, j]).mean()), 3),
                                      "false_positive_rate_over_5": round(float((pred[zero, j] > 5).mean()), 4)}
    return head, validation


def save(head: AUHead, path, version: str) -> None:
    """Save the head's state_dict with its feature and output names and a version string."""
    torch.save({"state_dict": head.state_dict(), "features": list(FEATURES), "expressions": list(EXPRESSIONS),
                "version": version}, path)


def load(path, device: str = "cpu") -> AUHead:
    """Load a head saved by ``save``; checks that its features and outputs match this code."""
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob.get("features") != list(FEATURES) or blob.get("expressions") != list(EXPRESSIONS):
        raise ValueError(f"{path}: AU head built for other features/expressions; rebuild it (snakemake models)")
    version = blob.get("version", "")
    if version.startswith("mapping-") and version != f"mapping-{MAPPING_VERSION}":
        raise ValueError(f"{path}: built from mapping {version}, this code has mapping-{MAPPING_VERSION}; "
                         "rebuild it (snakemake models)")
    head = AUHead()
    head.load_state_dict(blob["state_dict"])
    return head.to(device).eval()


def logits(head: AUHead, feats: np.ndarray) -> np.ndarray:
    """The head's linear outputs z (N, 20) before the clamp (1 = full intensity) for features (N, F)."""
    device = next(head.parameters()).device
    with torch.inference_mode():
        return head.linear(torch.as_tensor(feats, dtype=torch.float32, device=device)).cpu().numpy()


def predict(head: AUHead, feats: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """Expression intensities (N, 20), 0-100, for head features (N, len(FEATURES)); NaN rows stay NaN.

    offset: None, or (20,) values of z subtracted before the clamp (a participant's neutral level).
    """
    z = logits(head, feats)
    if offset is not None:
        z = z - offset
    out = 100 * np.clip(z, 0, 1)
    out[np.isnan(feats).any(1)] = np.nan
    return out
