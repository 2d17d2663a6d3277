"""Does the pipeline find what the simulator planted? Recovery checks of the demo study, and the
calibration of the measurement that the power analysis (:mod:`mimicry.simulate.power`) builds on.

Inputs: the demo's ground truth (truth.tsv, ``plan.TRUTH_COLUMNS``; truth/{participant}.tsv,
``plan.EVENT_COLUMNS``) and the pipeline's results (the long reaction table of the usable participants,
results/reactions.parquet; results/eq_scores.tsv; results/quality.tsv).

Units: planted intensities 0-``plan.MAX_PEAK`` (1 = the simulator's full expression) and gains >= 0;
recovered reaction scores 0-100; latencies in ms since the stimulus onset; EQ 0-80.

The **congruent magnitude** of a participant is the mean, over the reactions planted for them (one per
emotional stimulus x congruent expression), of the recovered per-stimulus ``max`` of that expression in
that stimulus's window; its planted counterpart is the mean planted peak of the same events. Knowing
which stimulus x expression pairs to average is the one thing taken from the truth: it is the measure a
study pre-registering "mimicry = congruent expressions to emotional faces" would compute.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.analysis.correlation import pearson
from mimicry.simulate.plan import PROBLEMS

#: Columns of results/tables/demo_recovery.tsv (one row per check).
RECOVERY_COLUMNS = ("check", "planted", "recovered", "ci_low", "ci_high", "n", "passed", "note")
#: Columns of results/tables/demo_calibration.tsv (one row per parameter).
CALIBRATION_COLUMNS = ("parameter", "value", "n", "note")
#: The participant groups of the quality checks: no planted problem, then each planted problem.
GROUPS = ("none", *PROBLEMS)
#: A planted reaction is *seen* when its recovered max exceeds its pre-stimulus level by this many points (0-100).
SEEN_POINTS = 10.0


def matched_events(events: pd.DataFrame, reactions: pd.DataFrame, window: str) -> pd.DataFrame:
    """Planted reactions next to what the pipeline measured for the same participant, stimulus and expression.

    ``events``: planted events (EVENT_COLUMNS; only ``event == "reaction"`` rows are used);
    ``reactions``: the long reaction table (participant_id, stimulus, reaction, window, max,
    peak_latency_ms), of which ``window`` is used. Only participants present in ``reactions`` are kept
    (the usable ones); a planted reaction with no measured row is an error naming it.

    Returns one row per planted reaction: participant_id, stimulus, reaction, gain, peak (planted),
    peak_latency_ms (planted, ms since onset), recovered_max (0-100, NaN where the coverage rule
    removed it), recovered_pre (the reaction's pre-stimulus median, same units), recovered_latency_ms,
    latency_error_ms (recovered - planted), seen (recovered_max - recovered_pre >= SEEN_POINTS).
    """
    planted = events.loc[events["event"] == "reaction", ["participant_id", "stimulus", "reaction", "gain", "peak",
                                                         "peak_latency_ms"]]
    measured = reactions.loc[reactions["window"] == window, ["participant_id", "stimulus", "reaction", "max",
                                                            "pre_median", "peak_latency_ms"]]
    planted = planted[planted["participant_id"].isin(measured["participant_id"])]
    table = planted.merge(measured, on=["participant_id", "stimulus", "reaction"], how="left", suffixes=("", "_rec"),
                          validate="1:1", indicator=True)
    lost = table[table["_merge"] == "left_only"]
    if len(lost):
        first = lost.iloc[0]
        raise ValueError(f"participant {first.participant_id}, stimulus {first.stimulus}: no measured {first.reaction} "
                         f"in window {window!r} for a planted reaction ({len(lost)} planted reactions unmatched)")
    table = table.drop(columns="_merge").rename(columns={"max": "recovered_max", "pre_median": "recovered_pre",
                                                         "peak_latency_ms_rec": "recovered_latency_ms"})
    table["latency_error_ms"] = table["recovered_latency_ms"] - table["peak_latency_ms"]
    table["seen"] = (table["recovered_max"] - table["recovered_pre"]) >= SEEN_POINTS
    return table.reset_index(drop=True)


def congruent_magnitudes(matched: pd.DataFrame) -> pd.DataFrame:
    """Per participant (from matched_events): participant_id, gain, planted_magnitude (mean planted peak,
    0-MAX_PEAK), recovered_magnitude (mean recovered max, 0-100; NaN maxima skipped, all NaN gives NaN)."""
    return matched.groupby("participant_id", sort=True).agg(
        gain=("gain", "first"), planted_magnitude=("peak", "mean"), recovered_magnitude=("recovered_max", "mean")
    ).reset_index()


def correlation_check(check: str, planted: float, x, y, confidence: float, note: str,
                      criterion: str = "planted_in_ci") -> dict:
    """A check row (RECOVERY_COLUMNS) of Pearson's r between ``x`` and ``y`` with its Fisher-z interval.

    ``criterion``: ``planted_in_ci`` passes when ``planted`` lies in the interval; ``above_zero`` passes
    when the interval lies above 0 (the recovered value follows the planted one at all). No interval
    (n <= 3) never passes.
    """
    r = pearson(np.asarray(x, float), np.asarray(y, float), confidence)
    if not np.isfinite(r["ci_low"]):
        passed = False
    elif criterion == "planted_in_ci":
        passed = bool(r["ci_low"] <= planted <= r["ci_high"])
    elif criterion == "above_zero":
        passed = bool(r["ci_low"] > 0)
    else:
        raise ValueError(f"unknown criterion {criterion!r}; expected planted_in_ci or above_zero")
    return {"check": check, "planted": planted, "recovered": r["r"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "n": r["n"], "passed": passed, "note": note}


def latency_checks(matched: pd.DataFrame, tolerance_ms: float, min_peak: float) -> list[dict]:
    """Peak latency checks (RECOVERY_COLUMNS): all planted reactions, then one row per expression.

    Timed: planted reactions with a peak >= ``min_peak`` (weaker ones are hardly a reaction), ``n`` of
    them. A timed reaction counts only when *seen* (its max at least SEEN_POINTS above its pre-stimulus
    level): an unseen trace's "peak" is noise, no latency, so an unseen reaction counts as a miss. ``planted``: median planted peak latency (ms since onset);
    ``recovered``: median recovered peak latency of the seen ones. Passes when the median absolute
    error, misses counted as infinite, is at most ``tolerance_ms`` (more than half within tolerance).
    No interval (ci NaN).
    """
    timed = matched[matched["peak"] >= min_peak]
    groups = [("peak_latency", timed)] + [(f"peak_latency_{name}", rows) for name, rows in timed.groupby("reaction", sort=True)]
    rows = []
    for check, events in groups:
        seen = events["seen"]
        error = events["latency_error_ms"].abs().where(seen, np.inf)
        median_seen = float(error[seen].median()) if seen.any() else math.nan
        rows.append({
            "check": check, "planted": float(events["peak_latency_ms"].median()) if len(events) else math.nan,
            "recovered": float(events.loc[seen, "recovered_latency_ms"].median()) if seen.any() else math.nan,
            "ci_low": math.nan, "ci_high": math.nan, "n": len(events),
            "passed": bool(len(events) and error.median() <= tolerance_ms),
            "note": f"{int(seen.sum())} of {len(events)} planted reactions (peak >= {min_peak:g}) seen (max >= "
                    f"{SEEN_POINTS:g} points above the pre-stimulus median); "
                    f"median |error| of the seen {median_seen:.0f} ms; {(error <= tolerance_ms).mean() if len(error) else 0:.0%} "
                    f"of all within {tolerance_ms:g} ms",
        })
    return rows


def seen_checks(matched: pd.DataFrame, min_peak: float) -> list[dict]:
    """Detection checks (RECOVERY_COLUMNS), one row per planted expression: ``planted`` planted reactions
    with a peak >= ``min_peak``, ``recovered`` how many are seen (max >= SEEN_POINTS above the
    pre-stimulus median). Passes when at least half are seen. No interval (ci NaN)."""
    timed = matched[matched["peak"] >= min_peak]
    rows = []
    for name, events in timed.groupby("reaction", sort=True):
        n_seen = int(events["seen"].sum())
        rows.append({"check": f"seen_{name}", "planted": len(events), "recovered": n_seen, "ci_low": math.nan,
                     "ci_high": math.nan, "n": len(events), "passed": bool(n_seen >= len(events) / 2),
                     "note": f"{n_seen} of {len(events)} planted {name} reactions (peak >= {min_peak:g}) rose "
                             f"{SEEN_POINTS:g}+ points above their pre-stimulus median; passes at half or more"})
    return rows


def flagged(truth: pd.DataFrame, quality: pd.DataFrame, max_grade: int) -> pd.DataFrame:
    """truth's participant_id and problem with final_grade (quality.tsv) and flagged (final_grade > max_grade).

    A participant of the truth without a grade is an error naming them.
    """
    graded = truth[["participant_id", "problem"]].merge(quality[["participant_id", "final_grade"]], how="left")
    missing = graded.loc[graded["final_grade"].isna(), "participant_id"]
    if len(missing):
        raise ValueError(f"quality.tsv has no grade for participant(s) {', '.join(missing)}")
    graded["flagged"] = graded["final_grade"] > max_grade
    return graded


def quality_checks(graded: pd.DataFrame, max_grade: int) -> list[dict]:
    """Planted problems vs grades (RECOVERY_COLUMNS), one row per group of GROUPS present in ``graded``
    (from flagged()): ``planted`` participants in the group, ``recovered`` those graded above max_grade.
    A problem group passes when all are flagged, the ``none`` group when none is."""
    rows = []
    for group in GROUPS:
        members = graded[graded["problem"] == group]
        if members.empty:
            continue
        n_flagged = int(members["flagged"].sum())
        grades = ", ".join(f"{p} {int(g)}" for p, g in zip(members["participant_id"], members["final_grade"]))
        rows.append({
            "check": f"quality_{group}", "planted": len(members), "recovered": n_flagged, "ci_low": math.nan,
            "ci_high": math.nan, "n": len(members),
            "passed": n_flagged == (0 if group == "none" else len(members)),
            "note": f"graded above {max_grade}: {n_flagged} of {len(members)}; final grades: {grades}",
        })
    return rows


def recovery_table(truth: pd.DataFrame, events: pd.DataFrame, reactions: pd.DataFrame, eq: pd.DataFrame,
                   quality: pd.DataFrame, index_summary: pd.DataFrame, *, eq_r: float, max_grade: int,
                   confidence: float, window: str, tolerance_ms: float, min_peak: float) -> pd.DataFrame:
    """results/tables/demo_recovery.tsv: every check of the demo's recovery (RECOVERY_COLUMNS).

    ``truth``/``events``: the planted truth; ``reactions``: the usable participants' long reaction
    table; ``eq``: participant_id, eq_score (0-80); ``quality``: participant_id, final_grade;
    ``index_summary``: results/tables/mimicry_index_summary.tsv (r_eq, ci_low, ci_high, n_eq);
    ``eq_r``: the planted correlation of gain with latent EQ (config demo.reactions.eq_r).

    Rows: planted_eq_gain_r (the simulator's draw), gain_magnitude_r (measurement), eq_magnitude_r and
    eq_mimicry_index_r (the EQ-reaction correlation), seen_* (detection per expression), peak_latency*,
    quality_*.
    """
    matched = matched_events(events, reactions, window)
    people = congruent_magnitudes(matched).merge(eq[["participant_id", "eq_score"]], how="left")
    level = f"{100 * confidence:g}%"
    index = index_summary.iloc[0]
    index_passed = bool(np.isfinite(index["ci_low"]) and index["ci_low"] <= eq_r <= index["ci_high"])
    rows = [
        correlation_check("planted_eq_gain_r", eq_r, truth["latent_eq"], truth["gain"], confidence,
                          f"simulator's draw: r of planted gain with latent EQ, all participants; passes when the "
                          f"planted eq_r lies in the {level} interval"),
        correlation_check("gain_magnitude_r", 1.0, people["gain"], people["recovered_magnitude"], confidence,
                          f"measurement: r of planted gain with recovered congruent magnitude, usable participants "
                          f"(planted: 1 = perfect); passes when the {level} interval lies above 0", "above_zero"),
        correlation_check("eq_magnitude_r", eq_r, people["eq_score"], people["recovered_magnitude"], confidence,
                          f"r of EQ score with recovered congruent magnitude, usable participants; passes when the "
                          f"planted eq_r lies in the {level} interval"),
        {"check": "eq_mimicry_index_r", "planted": eq_r, "recovered": index["r_eq"], "ci_low": index["ci_low"],
         "ci_high": index["ci_high"], "n": int(index["n_eq"]), "passed": index_passed,
         "note": "the analysis's own congruent-mimicry index (blind to the truth) vs EQ, "
                 "mimicry_index_summary.tsv; passes when the planted eq_r lies in its interval"},
        *seen_checks(matched, min_peak),
        *latency_checks(matched, tolerance_ms, min_peak),
        *quality_checks(flagged(truth, quality, max_grade), max_grade),
    ]
    return pd.DataFrame(rows, columns=list(RECOVERY_COLUMNS))


def calibration_table(truth: pd.DataFrame, events: pd.DataFrame, reactions: pd.DataFrame, quality: pd.DataFrame,
                      *, max_grade: int, window: str) -> pd.DataFrame:
    """results/tables/demo_calibration.tsv (CALIBRATION_COLUMNS): the measured transfer of the pipeline.

    - magnitude_intercept (0-100), magnitude_slope (score points per unit of gain), magnitude_residual_sd
      (0-100): least squares of the recovered congruent magnitude on the planted gain over the usable
      participants, residual SD with n - 2 degrees of freedom (it holds trial-to-trial variation,
      clipping and everything the video, face model and epochs add);
    - excluded_<group> (0-1) for each group of GROUPS with participants: the fraction graded above
      ``max_grade`` (NaN: no participant in the group).
    """
    people = congruent_magnitudes(matched_events(events, reactions, window)).dropna(subset=["recovered_magnitude"])
    n = len(people)
    if n >= 3 and np.ptp(people["gain"]) > 0:
        fit = stats.linregress(people["gain"], people["recovered_magnitude"])
        residual = people["recovered_magnitude"] - (fit.intercept + fit.slope * people["gain"])
        values = (fit.intercept, fit.slope, float(np.sqrt((residual**2).sum() / (n - 2))))
    else:
        values = (math.nan,) * 3
    note = "recovered congruent magnitude = intercept + slope * gain + N(0, residual_sd), usable participants"
    rows = [{"parameter": f"magnitude_{name}", "value": float(v), "n": n, "note": note}
            for name, v in zip(("intercept", "slope", "residual_sd"), values)]
    graded = flagged(truth, quality, max_grade)
    for group in GROUPS:
        members = graded[graded["problem"] == group]
        rows.append({"parameter": f"excluded_{group}", "value": float(members["flagged"].mean()) if len(members) else math.nan,
                     "n": len(members), "note": f"fraction of participants with planted problem {group} graded above {max_grade}"})
    return pd.DataFrame(rows, columns=list(CALIBRATION_COLUMNS))
