"""H1: does EQ differ between demographic groups? Normality checks and two-sample t-tests.

A comparison splits participants into two groups by one column of participants.tsv. Each group is
declared by the exact labels it takes (matched case-insensitively after stripping), or as "the rest"::

    {"name": "white_any", "column": "ethnicity",
     "groups": [{"label": "White", "values": ["White British", "White Irish"]},
                {"label": "other", "rest": True}]}

Group a comes first: differences, t and the effect sizes are group a minus group b.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.analysis.notes import join, shortfall

#: The statistics of ``ttest``, in table order.
TTEST_STATISTICS = ("t", "df", "p", "cohens_d", "hedges_g", "r")


def group_members(column: pd.Series, group: dict, other_group: dict) -> pd.Series:
    """Boolean mask of the rows of ``column`` that belong to ``group``.

    Labels are compared case-insensitively after stripping. ``rest: true`` means every non-blank
    row that is not in ``other_group``.
    """
    labels = column.fillna("").astype(str).str.strip().str.lower()
    if group.get("rest"):
        return (labels != "") & ~group_members(column, other_group, group)
    return labels.isin({v.strip().lower() for v in group.get("values", [])})


def split_groups(data: pd.DataFrame, comparison: dict, value: str = "eq_score"):
    """The two samples of ``value`` (NaN dropped) for a comparison, as two numpy arrays."""
    first, second = comparison["groups"]
    column = data[comparison["column"]]
    samples = []
    for group, other in ((first, second), (second, first)):
        mask = group_members(column, group, other)
        samples.append(data.loc[mask, value].dropna().to_numpy(dtype=float))
    return samples


def left_out(data: pd.DataFrame, comparison: dict) -> pd.DataFrame:
    """The rows of ``data`` in neither group of a comparison (unknown or blank labels): kept in the
    study's tables, only left out of this comparison."""
    first, second = comparison["groups"]
    column = data[comparison["column"]]
    return data[~group_members(column, first, second) & ~group_members(column, second, first)]


def left_out_note(data: pd.DataFrame, comparison: dict) -> str:
    """'' or e.g. "2 participant(s) in neither group (labels: 'nonbinary', '')"."""
    rows = left_out(data, comparison)
    if rows.empty:
        return ""
    labels = ", ".join(repr(v) for v in sorted(rows[comparison["column"]].fillna("").astype(str).unique()))
    return f"{len(rows)} participant(s) in neither group (labels: {labels})"


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d of mean(a) - mean(b) with the pooled standard deviation (ddof 1)."""
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * np.var(a, ddof=1) + (nb - 1) * np.var(b, ddof=1)) / (na + nb - 2))
    return (np.mean(a) - np.mean(b)) / pooled


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Hedges' g of mean(a) - mean(b): Cohen's d times the small-sample correction 1 - 3 / (4 (na + nb) - 9)."""
    return cohens_d(a, b) * (1 - 3 / (4 * (len(a) + len(b)) - 9))


def ttest(a: np.ndarray, b: np.ndarray, welch: bool = False) -> dict:
    """Independent two-sample t-test of a vs b (a minus b): t, df, two-sided p, Cohen's d, Hedges' g, r.

    Student's t (pooled variance, df = na + nb - 2) by default; Welch's t with the
    Welch-Satterthwaite df when ``welch``. r = sqrt(t^2 / (t^2 + df)) uses that df (unsigned).
    """
    res = stats.ttest_ind(a, b, equal_var=not welch)
    df = float(res.df)
    t = float(res.statistic)
    return {
        "t": t,
        "df": df,
        "p": float(res.pvalue),
        "cohens_d": cohens_d(a, b),
        "hedges_g": hedges_g(a, b),
        "r": math.sqrt(t**2 / (t**2 + df)),
    }


def ttest_table(data: pd.DataFrame, comparisons: list[dict], alpha: float, welch: bool = False) -> pd.DataFrame:
    """One row per comparison: groups, n, mean and SD (ddof 1) per group, t, df, p, d, g, r, significance.

    ``data`` has one row per participant with eq_score and the columns the comparisons use; group a
    minus group b. A comparison with fewer than 2 participants in a group gets NaN statistics and a note
    saying so; participants in neither group (unknown labels) are counted in the note (left_out_note).
    """
    rows = []
    for comparison in comparisons:
        a, b = split_groups(data, comparison)
        first, second = comparison["groups"]
        row = {
            "comparison": comparison["name"],
            "group_a": first["label"],
            "group_b": second["label"],
            "n_a": len(a),
            "n_b": len(b),
            "mean_a": np.mean(a) if len(a) else np.nan,
            "sd_a": np.std(a, ddof=1) if len(a) > 1 else np.nan,
            "mean_b": np.mean(b) if len(b) else np.nan,
            "sd_b": np.std(b, ddof=1) if len(b) > 1 else np.nan,
            "test": "welch" if welch else "student",
        }
        row.update(dict.fromkeys(TTEST_STATISTICS, np.nan), significant=False)
        too_few = join(*(shortfall(len(x), 2, "the t-test (in each group)", f"participants with an EQ score in {g['label']!r}")
                         for x, g in ((a, first), (b, second))))
        if not too_few:
            row.update(ttest(a, b, welch=welch))
            row["significant"] = row["p"] < alpha
        row["note"] = join(too_few, left_out_note(data, comparison))
        row["alpha"] = alpha
        rows.append(row)
    return pd.DataFrame(rows)


def normality_table(data: pd.DataFrame, comparisons: list[dict]) -> pd.DataFrame:
    """Shapiro-Wilk test of EQ within each group of each comparison (W, p; NaN below 3 participants, with a note)."""
    rows = []
    for comparison in comparisons:
        for group, sample in zip(comparison["groups"], split_groups(data, comparison)):
            w, p = stats.shapiro(sample) if len(sample) >= 3 else (np.nan, np.nan)
            rows.append(
                {
                    "comparison": comparison["name"],
                    "group": group["label"],
                    "n": len(sample),
                    "shapiro_w": float(w),
                    "p": float(p),
                    "note": shortfall(len(sample), 3, "the Shapiro-Wilk test", "participants with an EQ score"),
                }
            )
    return pd.DataFrame(rows)
