"""Group comparisons of per-participant reaction measures: high vs low EQ (median split), glasses vs none.

Both compare participants, one value each (``data.measures_table``), whatever the analysis unit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.demographics import ttest


def rank_biserial(u: float, n1: int, n2: int) -> float:
    """Rank-biserial correlation from the Mann-Whitney U of group 1: 2U / (n1 n2) - 1, in [-1, 1].

    It equals P(X1 > X2) - P(X1 < X2) over all pairs: +1 when every value of group 1 is larger.
    """
    return 2 * u / (n1 * n2) - 1


def median_split(eq: pd.Series, threshold: float | None = None) -> tuple[pd.Series, float]:
    """(high, threshold): high is True where EQ > threshold (default: the sample median, which goes to low)."""
    threshold = float(eq.median()) if threshold is None else float(threshold)
    return eq > threshold, threshold


def median_split_mwu(measures: pd.DataFrame, eq: pd.Series, threshold: float | None = None) -> pd.DataFrame:
    """Mann-Whitney U (two-sided, scipy's default method) of each measure, high vs low EQ.

    ``measures``: one column per measure (0-100), index participant_id; ``eq``: EQ (0-80) by
    participant_id. Participants without EQ are left out; missing measure values are dropped per
    measure. Columns: measure, threshold, n_high, n_low, median_high, median_low, u (of the high
    group), p, rank_biserial (positive: higher values in the high-EQ group).
    """
    eq = eq.dropna()
    high, threshold = median_split(eq, threshold)
    rows = []
    for name in measures.columns:
        values = measures[name].reindex(eq.index)
        x, y = values[high].dropna().to_numpy(), values[~high].dropna().to_numpy()
        row = {"measure": name, "threshold": threshold, "n_high": len(x), "n_low": len(y)}
        row["median_high"] = float(np.median(x)) if len(x) else math.nan
        row["median_low"] = float(np.median(y)) if len(y) else math.nan
        if len(x) and len(y):
            res = stats.mannwhitneyu(x, y, alternative="two-sided")
            row.update(u=float(res.statistic), p=float(res.pvalue), rank_biserial=rank_biserial(res.statistic, len(x), len(y)))
        else:
            row.update(u=math.nan, p=math.nan, rank_biserial=math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def glasses_ttest(measures: pd.DataFrame, glasses: pd.Series, welch: bool = False) -> pd.DataFrame:
    """Two-sample t-test of each measure, participants with glasses vs without.

    ``glasses``: bool by participant_id. Student's t by default, Welch's with ``welch``; t, df, p,
    Cohen's d and r as in ``mimicry.demographics.ttest`` (glasses minus no glasses). Columns: measure,
    n_glasses, n_no_glasses, mean_glasses, sd_glasses, mean_no_glasses, sd_no_glasses, t, df, p,
    cohens_d, r, test; fewer than 2 participants in a group gives NaN statistics.
    """
    glasses = glasses.astype(bool)
    rows = []
    for name in measures.columns:
        values = measures[name].reindex(glasses.index)
        a, b = values[glasses].dropna().to_numpy(), values[~glasses].dropna().to_numpy()
        row = {"measure": name, "n_glasses": len(a), "n_no_glasses": len(b)}
        for label, x in (("glasses", a), ("no_glasses", b)):
            row[f"mean_{label}"] = float(np.mean(x)) if len(x) else math.nan
            row[f"sd_{label}"] = float(np.std(x, ddof=1)) if len(x) > 1 else math.nan
        if min(len(a), len(b)) >= 2:
            row.update(ttest(a, b, welch=welch))
        else:
            row.update(dict.fromkeys(("t", "df", "p", "cohens_d", "r"), math.nan))
        row["test"] = "welch" if welch else "student"
        rows.append(row)
    return pd.DataFrame(rows)
