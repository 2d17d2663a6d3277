"""Power of the EQ-reaction correlation for a design: how often a study of n participants, whose
mimicry gain correlates ``effect`` with latent EQ, finds a significant Pearson correlation of the EQ
score with the recovered congruent magnitude (:mod:`mimicry.simulate.recovery`).

This is a **calibrated fast path**, not a rerun of the video pipeline. Each simulated study draws,
with the simulator's own functions, the cohort (``cohort.draw_participants``, ``cohort.target_eq``),
the gains (``plan.mimicry_gains`` with eq_r = effect) and the planted problems
(``plan.assign_problems``); the EQ score is the questionnaire's score drawn exactly (see measured_eq).
What rendering, face tracking, scoring, quality grading and epochs do to a participant is replaced by
the transfer measured on the demo run (results/tables/demo_calibration.tsv): recovered magnitude =
intercept + slope * gain + N(0, residual_sd), and exclusion with the measured probability of the
participant's planted problem. Rendering and extracting one 12-participant demo takes minutes on two
cores, so a grid of cohorts x effects x hundreds of repeats through the videos is out of reach.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.simulate.moderation import draw_people, measured_eq  # noqa: F401 (measured_eq: the EQ score shortcut)
from mimicry.simulate.plan import rng_for
from mimicry.simulate.recovery import GROUPS

#: Columns of results/tables/power.tsv (one row per cohort size x effect).
POWER_COLUMNS = ("n", "effect", "n_repeats", "detected", "detection_rate", "ci_low", "ci_high", "mean_n_usable", "mean_r")


def read_calibration(table: pd.DataFrame) -> dict:
    """{parameter: value} of demo_calibration.tsv; a clear error when the magnitude fit is missing or NaN.

    Exclusion probabilities of groups without participants in the demo (NaN) become 0.
    """
    values = dict(zip(table["parameter"], table["value"].astype(float)))
    fit = [f"magnitude_{k}" for k in ("intercept", "slope", "residual_sd")]
    bad = [k for k in fit if not np.isfinite(values.get(k, np.nan))]
    if bad:
        raise ValueError(f"demo calibration: {', '.join(bad)} missing or NaN (the demo run needs at least 3 usable "
                         "participants with different gains); rerun validate_demo with a larger demo.n_participants")
    for group in GROUPS:
        values[f"excluded_{group}"] = np.nan_to_num(values.get(f"excluded_{group}", np.nan))
    return values


def simulate_study(rng: np.random.Generator, n: int, effect: float, demo: dict, calibration: dict):
    """One simulated study: (eq_score, recovered magnitude) of its usable participants (arrays).

    ``demo``: the config's demo section (cohort, reactions, problems); ``effect``: the planted
    correlation of gain with latent EQ (replaces demo.reactions.eq_r); ``calibration``: read_calibration().
    """
    people = draw_people(rng, n, effect, demo)
    score, gain, n = people["score"], people["gain"], len(people["ids"])
    excluded = np.array([calibration[f"excluded_{problem}"] for problem in people["problem"]])
    keep = rng.random(n) >= excluded
    magnitude = (calibration["magnitude_intercept"] + calibration["magnitude_slope"] * gain
                 + rng.normal(0.0, calibration["magnitude_residual_sd"], n))
    return score[keep], magnitude[keep]


def correlation_test(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, bool]:
    """(Pearson r, detected): detected when the two-sided p < alpha; fewer than 3 pairs or a constant
    variable detect nothing (r NaN)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, False
    r, p = stats.pearsonr(x, y)
    return float(r), bool(p < alpha)


def power_grid(demo: dict, calibration: dict, sizes, effects, n_repeats: int, alpha: float, seed: int,
               confidence: float = 0.95) -> pd.DataFrame:
    """Detection rate of the EQ-reaction correlation per cohort size (n, before exclusion) and effect.

    Each cell repeats simulate_study ``n_repeats`` times from its own seeded stream (seed, n, effect),
    so a cell does not change when the grid grows. Columns POWER_COLUMNS: detected (count),
    detection_rate (0-1) with its Wilson interval at ``confidence``, mean_n_usable, mean_r.
    """
    rows = []
    for n in sizes:
        for effect in effects:
            rng = rng_for(seed, "power", f"{n}:{effect:g}")
            results = [simulate_study(rng, int(n), float(effect), demo, calibration) for _ in range(n_repeats)]
            tests = [correlation_test(x, y, alpha) for x, y in results]
            detected = sum(d for _, d in tests)
            ci = stats.binomtest(detected, n_repeats).proportion_ci(confidence, method="wilson")
            rows.append({
                "n": int(n), "effect": float(effect), "n_repeats": n_repeats, "detected": detected,
                "detection_rate": detected / n_repeats, "ci_low": ci.low, "ci_high": ci.high,
                "mean_n_usable": float(np.mean([len(x) for x, _ in results])),
                "mean_r": float(np.nanmean([r for r, _ in tests])) if any(np.isfinite(r) for r, _ in tests) else np.nan,
            })
    return pd.DataFrame(rows, columns=list(POWER_COLUMNS))


def power_figure(table: pd.DataFrame, alpha: float):
    """Detection rate (0-1) against cohort size, one line per planted effect, Wilson intervals as bands."""
    from mimicry.plots import A4_WIDTH_IN  # sets the Agg backend before pyplot loads

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN * 0.7, A4_WIDTH_IN * 0.5))
    for effect, rows in table.groupby("effect", sort=True):
        rows = rows.sort_values("n")
        line, = ax.plot(rows["n"], rows["detection_rate"], marker="o", label=f"planted r = {effect:g}")
        ax.fill_between(rows["n"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.15, linewidth=0)
    ax.axhline(alpha, color="grey", linestyle=":", linewidth=1, label=f"alpha = {alpha:g}")
    ax.axhline(0.8, color="grey", linestyle="--", linewidth=1, label="80% power")
    ax.set(xlabel="participants recorded (before quality exclusion)", ylabel="detection rate",
           ylim=(0, 1.02), title="EQ-mimicry correlation: calibrated power")
    ax.legend(fontsize="small", loc="lower right")
    return fig
