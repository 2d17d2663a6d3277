"""Table 1: Pearson correlation of EQ with each reaction, with intervals and a multiple-testing correction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.analysis.notes import shortfall
from mimicry.names import REACTIONS, display_name


def fisher_ci(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a Pearson r from n pairs by Fisher's z: tanh(atanh(r) +- q / sqrt(n - 3)).

    NaN when n <= 3 or r is NaN.
    """
    if n <= 3 or not np.isfinite(r):
        return math.nan, math.nan
    z, half = np.arctanh(r), stats.norm.ppf(0.5 + confidence / 2) / math.sqrt(n - 3)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (step-up FDR); NaN entries stay NaN and do not count as tests."""
    p = np.asarray(p, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = stats.false_discovery_control(p[finite], method="bh")
    return adjusted


def pearson(x: np.ndarray, y: np.ndarray, confidence: float = 0.95, who: str = "pairs", names=("x", "y")) -> dict:
    """r, two-sided p, n, the Fisher-z interval of Pearson's r between x and y (pairs with NaN dropped)
    and a note saying why any of them is NaN (fewer than 3 or 4 pairs, counted as ``who``, or one of
    ``names`` that does not vary).
    """
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, float)[keep], np.asarray(y, float)[keep]
    n = int(keep.sum())
    note = shortfall(n, 3, "a correlation", who)
    flat = [name for name, v in zip(names, (x, y)) if not note and np.ptp(v) == 0]
    if note or flat:
        r = p = math.nan
        note = note or f"{' and '.join(flat)} {'does' if len(flat) == 1 else 'do'} not vary: no correlation"
    else:
        r, p = (float(v) for v in stats.pearsonr(x, y))
        note = shortfall(n, 4, "its confidence interval", who)
    low, high = fisher_ci(r, n, confidence)
    return {"r": r, "p": p, "n": n, "ci_low": low, "ci_high": high, "note": note}


def reaction_correlations(
    data: pd.DataFrame,
    features=REACTIONS,
    target: str = "eq_score",
    confidence: float = 0.95,
    alpha: float = 0.05,
    who: str = "pairs",
) -> pd.DataFrame:
    """Pearson r of ``target`` with each feature column of ``data``, sorted by r, highest first.

    Columns: reaction, display_name, r, p, n (rows used), n_participants, ci_low, ci_high (Fisher z at
    ``confidence``), p_bh (Benjamini-Hochberg over the features with a p), significant (p_bh < alpha),
    note (why a value is NaN, the rows counted as ``who``).
    p and the interval treat rows as independent: with one row per participant x stimulus they are
    too small/narrow, which is the study's analysis-unit problem (docs/analysis.md).
    """
    rows = []
    for feature in features:
        valid = data[[feature, target]].dropna().index
        row = {"reaction": feature, "display_name": display_name(feature)}
        names = (display_name(feature), "EQ" if target == "eq_score" else target)
        row.update(pearson(data[feature].to_numpy(float), data[target].to_numpy(float), confidence, who, names))
        row["n_participants"] = data.loc[valid, "participant_id"].nunique()
        rows.append(row)
    table = pd.DataFrame(rows)
    table["p_bh"] = benjamini_hochberg(table["p"].to_numpy())
    table["significant"] = table["p_bh"] < alpha
    order = ["reaction", "display_name", "r", "p", "p_bh", "significant", "n", "n_participants", "ci_low", "ci_high",
             "note"]
    return table[order].sort_values("r", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
