"""Group comparisons of per-participant reaction measures: high vs low EQ (median split), glasses vs none.

Both compare participants, one value each (``data.measures_table``), whatever the analysis unit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.analysis.notes import USABLE, join, shortfall
from mimicry.demographics import TTEST_STATISTICS, ttest

#: Where the median split cuts EQ: a fixed EQ value, or the median of the analysed participants or of all
#: participants with an EQ score.
MEDIANS = ("analysed_median", "scored_median")


def rank_biserial(u: float, n1: int, n2: int) -> float:
    """Rank-biserial correlation from the Mann-Whitney U of group 1: 2U / (n1 n2) - 1, in [-1, 1].

    It equals P(X1 > X2) - P(X1 < X2) over all pairs: +1 when every value of group 1 is larger.
    """
    return 2 * u / (n1 * n2) - 1


def split_threshold(analysed: pd.Series, scored: pd.Series, threshold: float | str = "analysed_median") -> float:
    """The EQ (0-80) the median split cuts at: a number as given, or "analysed_median" (the median of
    ``analysed``, the participants in the facial analysis) or "scored_median" (of ``scored``, everyone
    with an EQ score); NaN when that sample is empty."""
    if threshold not in MEDIANS:
        return float(threshold)
    sample = (analysed if threshold == "analysed_median" else scored).dropna()
    return float(sample.median()) if len(sample) else math.nan


def median_split(eq: pd.Series, threshold: float, high: str = ">=") -> pd.Series:
    """True where EQ is high: ``eq >= threshold`` (high ">=", the threshold goes to high) or ``eq > threshold``."""
    return eq >= threshold if high == ">=" else eq > threshold


def median_split_mwu(
    measures: pd.DataFrame, eq: pd.Series, threshold: float, high: str = ">=", who: str = USABLE
) -> pd.DataFrame:
    """Mann-Whitney U (two-sided, scipy's default method) of each measure, high vs low EQ.

    ``measures``: one column per measure (0-100), index participant_id; ``eq``: EQ (0-80) by
    participant_id; high EQ is ``eq >= threshold`` or ``eq > threshold`` (``high``, ``median_split``).
    Participants without EQ are left out; missing measure values are dropped per measure. Columns:
    measure, threshold, high (the rule), n_high, n_low, median_high, median_low, u (of the high group),
    p, rank_biserial (positive: higher values in the high-EQ group), note (why u and p are NaN).
    """
    eq = eq.dropna()
    is_high = median_split(eq, threshold, high)
    rows = []
    for name in measures.columns:
        values = measures[name].reindex(eq.index)
        x, y = values[is_high].dropna().to_numpy(), values[~is_high].dropna().to_numpy()
        row = {"measure": name, "threshold": threshold, "high": f"EQ {high} threshold", "n_high": len(x), "n_low": len(y)}
        row["median_high"] = float(np.median(x)) if len(x) else math.nan
        row["median_low"] = float(np.median(y)) if len(y) else math.nan
        row["note"] = join(*(shortfall(n, 1, "the Mann-Whitney U test (in each group)", f"{who} with {side} EQ")
                             for n, side in ((len(x), "high"), (len(y), "low"))))
        if not row["note"]:
            res = stats.mannwhitneyu(x, y, alternative="two-sided")
            row.update(u=float(res.statistic), p=float(res.pvalue), rank_biserial=rank_biserial(res.statistic, len(x), len(y)))
        rows.append(row)
    columns = ["measure", "threshold", "high", "n_high", "n_low", "median_high", "median_low", "u", "p", "rank_biserial",
               "note"]
    return pd.DataFrame(rows, columns=columns)


def glasses_ttest(measures: pd.DataFrame, glasses: pd.Series, welch: bool = False, who: str = USABLE) -> pd.DataFrame:
    """Two-sample t-test of each measure, participants with glasses vs without.

    ``glasses``: bool by participant_id. Student's t by default, Welch's with ``welch``; t, df, p,
    Cohen's d, Hedges' g and r as in ``mimicry.demographics.ttest`` (glasses minus no glasses). Columns:
    measure, n_glasses, n_no_glasses, mean_glasses, sd_glasses, mean_no_glasses, sd_no_glasses, t, df,
    p, cohens_d, hedges_g, r, test, note; fewer than 2 participants (``who``) in a group gives NaN
    statistics and a note saying so.
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
        row.update(dict.fromkeys(TTEST_STATISTICS, math.nan))
        row["note"] = join(*(shortfall(len(x), 2, "the t-test (in each group)", f"{who} {side}")
                             for x, side in ((a, "with glasses"), (b, "without glasses"))))
        if not row["note"]:
            row.update(ttest(a, b, welch=welch))
        row["test"] = "welch" if welch else "student"
        rows.append(row)
    columns = ["measure", "n_glasses", "n_no_glasses", "mean_glasses", "sd_glasses", "mean_no_glasses", "sd_no_glasses",
               *TTEST_STATISTICS, "test", "note"]
    return pd.DataFrame(rows, columns=columns)
