"""The expression (AU) head: geometric feature deltas (IOU) -> 20 expressions, 0-100, in PyTorch.

A linear layer followed by ``100 * clamp(z, 0, 1)``: z = 1 is a full-intensity (FACS level E)
expression. The head is fitted by ``train`` from a table of frames with expression labels (0-100):
columns ``measures.FEATURES`` (deltas from the participant's own neutral reference, IOU) and one column
per expression of ``names.EXPRESSIONS`` (NaN = not coded). The default table is drawn from
``FACS_PRIOR`` scaled by MediaPipe's measured landmark response (``prior_table``, ``calibration``);
a lab that holds AU-coded video (DISFA, BP4D...) builds its own table
with ``label_table`` and fits its own head with the rule ``train_au_head``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from mimicry.face import measures
from mimicry.names import EXPRESSIONS

#: Full-intensity displacement of each feature per expression (IOU; sign = direction), from the FACS
#: manual's appearance changes (Ekman, Friesen & Hager 2002) and adult facial proportions (1 IOU, the
#: outer-eye-corner distance, is about 9 cm). Engineering estimates, not fitted to any face.
FACS_PRIOR = {
    "inner_brow_raise": {"inner_brow": 0.07, "outer_brow": 0.02},                       # AU1
    "brow_raise": {"outer_brow": 0.08, "inner_brow": 0.03},                             # AU2
    "brow_furrow": {"inner_brow": -0.05, "brow_gap": -0.04, "outer_brow": -0.015},       # AU4
    "eye_widen": {"upper_lid": 0.03, "aperture": 0.03},                                 # AU5
    "cheek_raise": {"cheek": 0.04, "lower_lid": 0.02, "aperture": -0.02},               # AU6
    "lid_tighten": {"lower_lid": 0.025, "aperture": -0.03},                             # AU7
    "nose_wrinkle": {"ala": 0.05, "upper_lip": 0.03, "inner_brow": -0.02},              # AU9
    "upper_lip_raise": {"upper_lip": 0.06, "ala": 0.015, "lip_gap": 0.01},              # AU10
    # AU12 pulls the corners up, out and back; strong AU12 deepens the nasolabial furrow, lifting the
    # lateral upper lip and the nostril wings (the cheek lift is left to AU6, which smiles usually carry).
    "smile": {"corner_up": 0.10, "corner_out": 0.10, "corner_z": -0.08, "upper_lip": 0.03, "ala": 0.02},
    "smirk": {"corner_asymmetry": 0.08},                                                # unilateral AU12
    "dimpler": {"corner_z": -0.04, "corner_out": 0.02},                                 # AU14
    "lip_corner_depressor": {"corner_up": -0.05, "corner_out": 0.01},                   # AU15
    "chin_raise": {"chin": 0.04, "lip_protrusion": 0.015, "corner_up": -0.01},          # AU17
    "lip_pucker": {"corner_out": -0.08, "lip_protrusion": 0.05},                        # AU18
    "lip_stretch": {"corner_out": 0.08, "corner_up": -0.015, "corner_z": -0.01},         # AU20
    "lip_press": {"lip_thickness": -0.04, "corner_out": 0.01},                          # AU24
    "lip_suck": {"lip_thickness": -0.09, "lip_protrusion": -0.03},                      # AU28
    "mouth_open": {"lip_gap": 0.12},                                                    # AU25
    "jaw_drop": {"jaw": -0.20, "chin": -0.20, "lip_gap": 0.10},                         # AU26
    "eye_closure": {"upper_lid": -0.08, "aperture": -0.09},                             # AU43
}


def prior_matrix() -> np.ndarray:
    """FACS_PRIOR as a matrix (len(EXPRESSIONS), len(FEATURES)) of full-intensity displacements, IOU."""
    d = np.zeros((len(EXPRESSIONS), len(measures.FEATURES)))
    for i, expression in enumerate(EXPRESSIONS):
        for feature, value in FACS_PRIOR[expression].items():
            d[i, measures.FEATURES.index(feature)] = value
    return d


def prior_table(noise_sd, gain=None, n: int = 20000, active: float = 0.15, seed: int = 0) -> pd.DataFrame:
    """Synthetic labelled frames drawn from FACS_PRIOR: each expression is active with probability
    ``active`` at a uniform intensity 0-100; features = intensities x displacements x ``gain`` + Gaussian
    noise of SD ``noise_sd`` (IOU). gain and noise_sd: scalars or one value per feature (len(FEATURES));
    the default flow takes both from the landmark-response calibration (``calibration.prior_settings``).
    The corner asymmetry feature is |.| of its signed value, as ``measures.features`` computes it.
    """
    rng = np.random.default_rng(seed)
    displacement = prior_matrix() * (1.0 if gain is None else np.asarray(gain, float))
    labels = rng.uniform(0, 100, (n, len(EXPRESSIONS))) * (rng.random((n, len(EXPRESSIONS))) < active)
    feats = labels / 100 @ displacement + rng.normal(0, 1, (n, len(measures.FEATURES))) * np.asarray(noise_sd, float)
    asym = measures.FEATURES.index("corner_asymmetry")
    feats[:, asym] = np.abs(feats[:, asym])
    return pd.concat([pd.DataFrame(feats, columns=measures.FEATURES), pd.DataFrame(labels, columns=EXPRESSIONS)],
                     axis=1)


def label_table(features: np.ndarray, labels: pd.DataFrame) -> pd.DataFrame:
    """A training table from head features (N, len(FEATURES)) and expression labels 0-100 (N rows)."""
    missing = [e for e in EXPRESSIONS if e not in labels.columns]
    labels = labels.reindex(columns=EXPRESSIONS)
    if len(missing) == len(EXPRESSIONS):
        raise ValueError("the label table has none of the expression columns " + ", ".join(EXPRESSIONS))
    return pd.concat([pd.DataFrame(features, columns=measures.FEATURES), labels.reset_index(drop=True)], axis=1)


class AUHead(nn.Module):
    """Linear map of feature deltas (IOU) to expression intensities, 100 * clamp(z, 0, 1) -> 0-100."""

    def __init__(self, n_features: int = len(measures.FEATURES), n_outputs: int = len(EXPRESSIONS)):
        super().__init__()
        self.linear = nn.Linear(n_features, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 100 * torch.clamp(self.linear(x), 0, 1)


def train(table: pd.DataFrame, seed: int = 0, ridge: float = 1e-6, quantile: float = 0.99) -> tuple[AUHead, dict]:
    """Fit an AUHead to a table (FEATURES + EXPRESSIONS columns); returns (head, validation figures).

    Each expression's row of the linear layer is a ridge least-squares fit of label / 100 on the
    features (rows with that label coded; ``ridge`` in feature units squared per row). Calibration:
    each output is then shifted and rescaled so that the ``quantile`` of its value on the rows where
    nothing is active (all coded labels 0) maps to 0 and a full-intensity value 1 stays 1, so a still,
    neutral face scores 0. Validation: per-expression correlation, mean absolute error (points) and
    neutral false-positive rate on a held-out 20% of the rows (drawn with ``seed``).
    """
    missing = [c for c in measures.FEATURES if c not in table.columns]
    if missing:
        raise ValueError(f"training table lacks feature columns: {', '.join(missing)}")
    rng = np.random.default_rng(seed)
    x = table[list(measures.FEATURES)].to_numpy(float)
    y = table.reindex(columns=EXPRESSIONS).to_numpy(float) / 100
    if np.isnan(x).any():
        raise ValueError(f"training table: {int(np.isnan(x).any(1).sum())} rows with missing features")
    test = rng.random(len(x)) < 0.2
    xa = np.hstack([x[~test], np.ones(((~test).sum(), 1))])
    weights = np.zeros((len(EXPRESSIONS), xa.shape[1]))
    for j in range(len(EXPRESSIONS)):
        ok = ~np.isnan(y[~test, j])
        a = xa[ok]
        penalty = ridge * len(a) * np.diag(np.r_[np.ones(a.shape[1] - 1), 0.0])  # the bias is not penalised
        weights[j] = np.linalg.solve(a.T @ a + penalty, a.T @ y[~test, j][ok])
    resting = ~test & (np.nan_to_num(y) == 0).all(1)
    if resting.sum() < 10:
        raise ValueError("training table needs at least 10 rows with no expression (all labels 0) to calibrate")
    z_rest = np.hstack([x[resting], np.ones((resting.sum(), 1))]) @ weights.T
    q = np.quantile(z_rest, quantile, axis=0)
    weights = (weights - np.outer(q, np.eye(xa.shape[1])[-1])) / (1 - q)[:, None]
    head = AUHead()
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor(weights[:, :-1], dtype=torch.float32))
        head.linear.bias.copy_(torch.tensor(weights[:, -1], dtype=torch.float32))
    pred, truth = predict(head.eval(), x[test]), y[test] * 100
    validation = {}
    for j, expression in enumerate(EXPRESSIONS):
        ok = ~np.isnan(truth[:, j])
        if ok.sum() > 2 and truth[ok, j].std() > 0:
            zero = ok & (truth[:, j] == 0)
            validation[expression] = {"r": round(float(np.corrcoef(pred[ok, j], truth[ok, j])[0, 1]), 4),
                                      "mae": round(float(np.abs(pred[ok, j] - truth[ok, j]).mean()), 3),
                                      "false_positive_rate_over_5": round(float((pred[zero, j] > 5).mean()), 4)}
    return head, validation


def save(head: AUHead, path) -> None:
    """Save the head's state_dict with its feature and output names."""
    torch.save({"state_dict": head.state_dict(), "features": list(measures.FEATURES),
                "expressions": list(EXPRESSIONS)}, path)


def load(path, device: str = "cpu") -> AUHead:
    """Load a head saved by ``save``; checks that its features and outputs match this code."""
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob["features"] != list(measures.FEATURES) or blob["expressions"] != list(EXPRESSIONS):
        raise ValueError(f"{path}: AU head built for other features/expressions; rebuild it (snakemake models)")
    head = AUHead()
    head.load_state_dict(blob["state_dict"])
    return head.to(device).eval()


def predict(head: AUHead, feats: np.ndarray) -> np.ndarray:
    """Expression intensities (N, 20), 0-100, for head features (N, len(FEATURES)); NaN rows stay NaN."""
    device = next(head.parameters()).device
    with torch.inference_mode():
        out = head(torch.as_tensor(feats, dtype=torch.float32, device=device)).cpu().numpy()
    out[np.isnan(feats).any(1)] = np.nan
    return out
