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

from mimicry.analysis.congruence import fit_test
from mimicry.simulate.moderation import (draw_people, measured_eq,  # noqa: F401 (measured_eq: the EQ score shortcut)
                                         planted_effects, simulate_trials, transfer_noise)
from mimicry.simulate.plan import rng_for
from mimicry.simulate.recovery import GROUPS

#: Columns of results/tables/power.tsv (one row per cohort size x effect).
POWER_COLUMNS = ("n", "effect", "n_repeats", "detected", "detection_rate", "ci_low", "ci_high", "mean_n_usable", "mean_r")
#: Columns of the congruence x EQ interaction (interaction_grid), appended to power.tsv; *_se are binomial SEs.
INTERACTION_COLUMNS = ("interaction_test", "interaction_repeats", "planted_moderation", "interaction_detected",
                       "interaction_detection_rate", "interaction_se", "interaction_coverage", "interaction_coverage_se",
                       "trial_r_detected", "trial_r_detection_rate", "trial_r_se", "intercept_only_detection_rate",
                       "intercept_only_coverage", "interaction_note")
#: The two fits of congruence_x_eq compared: the model of congruence_models, and without the participant x congruence intercept.
INTERACTION_MODELS = {"interaction": True, "intercept_only": False}


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


def study_people(rng: np.random.Generator, n: int, effect: float, demo: dict, calibration: dict) -> tuple[dict, np.ndarray]:
    """One simulated study's usable participants: (people, recovered magnitude); people as
    moderation.draw_people, restricted to those not excluded.

    ``demo``: the config's demo section (cohort, reactions, problems); ``effect``: the planted
    correlation of gain with latent EQ (replaces demo.reactions.eq_r); ``calibration``: read_calibration().
    """
    people = draw_people(rng, n, effect, demo)
    gain, n = people["gain"], len(people["ids"])
    excluded = np.array([calibration[f"excluded_{problem}"] for problem in people["problem"]])
    keep = rng.random(n) >= excluded
    magnitude = (calibration["magnitude_intercept"] + calibration["magnitude_slope"] * gain
                 + rng.normal(0.0, calibration["magnitude_residual_sd"], n))
    kept = {key: np.asarray(value)[keep] for key, value in people.items()}
    return kept, magnitude[keep]


def simulate_study(rng: np.random.Generator, n: int, effect: float, demo: dict, calibration: dict):
    """One simulated study: (eq_score, recovered magnitude) of its usable participants (arrays); see study_people."""
    people, magnitude = study_people(rng, n, effect, demo, calibration)
    return people["score"], magnitude


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


def find_test(tests: list[dict], name: str) -> dict:
    """The test called ``name`` among congruence.tests(); a ValueError naming the config key otherwise."""
    match = [t for t in tests if t["test"] == name]
    if not match:
        raise ValueError(f"demo_validation.power.interaction_test: {name!r} is not a test of analysis.congruence "
                         f"({', '.join(t['test'] for t in tests)})")
    return match[0]


def interaction_tests(trials: pd.DataFrame, people: dict, test: dict, planted: float, alpha: float,
                      confidence: float) -> dict:
    """One simulated study's tests of EQ moderation on its ``trials`` (moderation.simulate_trials of
    ``people``): for each of INTERACTION_MODELS, <model>_detected (congruence:eq_z of congruence_x_eq,
    two-sided p < alpha), <model>_covered (``planted``, response units per SD, in its interval at
    ``confidence``) and <model>_fitted; trial_r_detected: the paper's approach, the Pearson correlation of
    the EQ score with each participant's mean congruent response (correlation_test)."""
    eq = pd.DataFrame({"participant_id": people["ids"], "eq_score": people["score"]})
    out = {}
    for name, random_congruence in INTERACTION_MODELS.items():
        row = fit_test(trials, eq, test, "congruence_x_eq", confidence=confidence,
                       random_congruence=random_congruence).set_index("term").loc["congruence:eq_z"]
        fitted = bool(np.isfinite(row["p"]))
        out |= {f"{name}_fitted": fitted, f"{name}_detected": fitted and bool(row["p"] < alpha),
                f"{name}_covered": fitted and bool(row["ci_low"] <= planted <= row["ci_high"])}
    congruent = trials[trials["stimulus_emotion"].isin(test["congruent"])].groupby("participant_id")["response"].mean()
    score = eq.set_index("participant_id")["eq_score"].reindex(congruent.index).to_numpy()
    out["trial_r_detected"] = correlation_test(score, congruent.to_numpy(), alpha)[1]
    return out


def _rate(count: int, repeats: int) -> tuple[float, float]:
    """(proportion, its binomial SE sqrt(p (1 - p) / repeats))."""
    p = count / repeats
    return p, float(np.sqrt(p * (1 - p) / repeats))


def _interaction_row(results: list[dict], repeats: int, test: str, planted: float) -> dict:
    """The INTERACTION_COLUMNS of one cell from its studies' interaction_tests."""
    count = {k: int(sum(r[k] for r in results)) for k in results[0]}
    rate, se = _rate(count["interaction_detected"], repeats)
    coverage, coverage_se = _rate(count["interaction_covered"], repeats)
    trial_rate, trial_se = _rate(count["trial_r_detected"], repeats)
    unfitted = [f"{repeats - count[f'{m}_fitted']} of {repeats} studies not fitted by the {m} model"
                for m in INTERACTION_MODELS if count[f"{m}_fitted"] < repeats]
    return {"interaction_test": test, "interaction_repeats": repeats, "planted_moderation": planted,
            "interaction_detected": count["interaction_detected"], "interaction_detection_rate": rate, "interaction_se": se,
            "interaction_coverage": coverage, "interaction_coverage_se": coverage_se,
            "trial_r_detected": count["trial_r_detected"], "trial_r_detection_rate": trial_rate, "trial_r_se": trial_se,
            "intercept_only_detection_rate": count["intercept_only_detected"] / repeats,
            "intercept_only_coverage": count["intercept_only_covered"] / repeats,
            "interaction_note": "; ".join(unfitted + ["counted as neither detected nor covered"] * bool(unfitted))}


def interaction_grid(demo: dict, calibration: dict, knots: pd.DataFrame, test: dict, sizes, effects, n_repeats: int,
                     alpha: float, seed: int, confidence: float = 0.95) -> pd.DataFrame:
    """Detection rate and coverage of the congruence x EQ interaction per cohort size and effect, next to
    the paper's correlation on the same simulated trials (columns n, effect and INTERACTION_COLUMNS).

    A cell's studies are the first ``n_repeats`` of power_grid's (the same stream (seed, n, effect): the
    same people and exclusions); their trials come from a stream of their own (seed, "power_trials"), so
    power_grid's columns do not change. ``knots``: the test's transfer (demo_transfer.tsv); the noise is
    its transfer_<test>_* rows of ``calibration``. A test whose transfer is missing gives rows with NaN
    and the reason in interaction_note.
    """
    try:
        if n_repeats < 1:
            raise ValueError("demo_validation.power.interaction_repeats is 0: the interaction was not simulated")
        if knots.empty:
            raise ValueError(f"demo_transfer.tsv has no transfer of test {test['test']}")
        noise = transfer_noise(calibration, test["test"])
    except ValueError as err:
        return pd.DataFrame([{"n": int(n), "effect": float(e), "interaction_test": test["test"], "interaction_repeats": 0,
                              "interaction_note": str(err)} for n in sizes for e in effects],
                            columns=["n", "effect", *INTERACTION_COLUMNS])
    planted = {float(e): planted_effects(demo, test, float(e), seed, knots)["eq_moderation"] for e in effects}
    rows = []
    for n in sizes:
        for effect in map(float, effects):
            people_rng = rng_for(seed, "power", f"{n}:{effect:g}")
            trial_rng = rng_for(seed, "power_trials", f"{n}:{effect:g}")
            results = []
            for _ in range(n_repeats):
                people, _ = study_people(people_rng, int(n), effect, demo, calibration)
                trials = simulate_trials(trial_rng, people, test, demo, knots, noise)
                results.append(interaction_tests(trials, people, test, planted[effect], alpha, confidence))
            rows.append({"n": int(n), "effect": effect, **_interaction_row(results, n_repeats, test["test"], planted[effect])})
    return pd.DataFrame(rows, columns=["n", "effect", *INTERACTION_COLUMNS])


def _correlation_panel(ax, table: pd.DataFrame) -> None:
    """Detection rate of the EQ-magnitude correlation against cohort size, one line per effect, Wilson bands."""
    for effect, rows in table.groupby("effect", sort=True):
        rows = rows.sort_values("n")
        line, = ax.plot(rows["n"], rows["detection_rate"], marker="o", label=f"planted r = {effect:g}")
        ax.fill_between(rows["n"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.15, linewidth=0)
    ax.set(title="EQ-mimicry correlation (magnitude)")


def _interaction_panel(ax, table: pd.DataFrame) -> None:
    """Detection rate of congruence:eq_z (solid, +-1 binomial SE) and of the paper's correlation on the same
    trials (dashed) against cohort size, one colour per effect."""
    for effect, rows in table.groupby("effect", sort=True):
        rows = rows.sort_values("n")
        line, = ax.plot(rows["n"], rows["interaction_detection_rate"], marker="o", label=f"congruence x EQ, r = {effect:g}")
        ax.fill_between(rows["n"], rows["interaction_detection_rate"] - rows["interaction_se"],
                        rows["interaction_detection_rate"] + rows["interaction_se"], color=line.get_color(), alpha=0.15, linewidth=0)
        ax.plot(rows["n"], rows["trial_r_detection_rate"], marker="s", linestyle="--", color=line.get_color(),
                label=f"EQ x mean congruent response, r = {effect:g}")
    test = table["interaction_test"].iloc[0]
    ax.set(title=f"{test}: mixed model vs correlation, same trials")


def power_figure(table: pd.DataFrame, alpha: float):
    """Detection rate (0-1) against cohort size: the EQ-magnitude correlation (one line per planted effect,
    Wilson bands) and, where the table has the interaction columns with repeats, a second panel
    (_interaction_panel); alpha and 80% power marked."""
    from mimicry.plots import A4_WIDTH_IN  # sets the Agg backend before pyplot loads

    import matplotlib.pyplot as plt

    both = "interaction_repeats" in table and (table["interaction_repeats"].fillna(0) > 0).any()
    fig, axes = plt.subplots(1, 1 + both, figsize=(A4_WIDTH_IN * (0.7 + 0.5 * both), A4_WIDTH_IN * 0.5), squeeze=False)
    _correlation_panel(axes[0, 0], table)
    if both:
        _interaction_panel(axes[0, 1], table)
    for ax in axes[0]:
        ax.axhline(alpha, color="grey", linestyle=":", linewidth=1, label=f"alpha = {alpha:g}")
        ax.axhline(0.8, color="grey", linestyle="--", linewidth=1, label="80% power")
        ax.set(xlabel="participants recorded (before quality exclusion)", ylabel="detection rate", ylim=(0, 1.02))
        ax.legend(fontsize="x-small", loc="lower right")
    fig.suptitle("Calibrated power")
    return fig
