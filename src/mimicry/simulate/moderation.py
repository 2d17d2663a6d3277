"""The demo's planted congruence effect and EQ moderation, converted from planted intensities to the
units of the congruence models (:mod:`mimicry.analysis.congruence`), and the simulated people of the
power analysis.

The simulator plants intensities (0-``plan.MAX_PEAK``; 1 = its full expression): per participant a
gain tied to latent EQ, per trial a peak = gain x weight x trial factor. The congruence models estimate
effects in the units of a test's trial response (points 0-100, baseline-corrected, or z). Two steps
convert, neither borrowing any estimate of the congruence models:

1. **Transfer** (measured on the demo's own trials, per test): a trial's *planted intensity* is the
   mean planted peak of the test's reactions planted on that trial (0 where none is planted, e.g. on
   incongruent faces). The expected response as a function of it is the isotonic (non-decreasing) fit of
   the response on the intensity over the test's trials: the scorer reads weak planted expressions as
   nothing and strong ones steeply, so a line would misstate it. The residuals' variance components
   (participant, stimulus, residual) are the noise the power simulation draws.
2. **Planted values** (population, drawn with the simulator's own functions for a large cohort, each
   trial's intensity mapped through the transfer): the congruence effect is the expected response of
   congruent minus incongruent trials; the EQ moderation is the slope of a participant's expected
   congruent-minus-incongruent response on the standardised EQ *score* (per SD), because the score, not
   the latent EQ, is what ``congruence:eq_z`` sees (so the slope is attenuated by the score's
   reliability, as the estimate is).

The transfer is estimated from the demo's trials (pooled over its participants: it never sees EQ), and
its uncertainty is not in the interval a check compares with.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mimicry import eq
from mimicry.simulate import cohort
from mimicry.analysis.congruence import trial_responses
from mimicry.analysis.mixed import fit_crossed
from mimicry.names import STIMULUS_EMOTION_CODES
from mimicry.simulate.plan import assign_problems, mimicry_gains, peak_intensity, rng_for, trial_factors

#: Parameters of a test's transfer (demo_calibration.tsv rows transfer_<test>_<name>).
TRANSFER = ("intercept", "var_participant", "var_stimulus", "var_residual_congruent", "var_residual_incongruent")
#: Participants drawn for the population values of planted_effects (slope SE about 0.3% of gain_sd).
POPULATION = 200_000


def measured_eq(rng: np.random.Generator, latent_eq: np.ndarray) -> np.ndarray:
    """EQ scores (0-80) of participants answering around ``latent_eq`` (0-80).

    ``cohort.draw_answers`` gives each of the 40 scored items Binomial(2, latent/80) points, so the
    score (``eq.score_eq``) is a sum of 40 such draws: exactly Binomial(80, latent/80).
    """
    return rng.binomial(eq.MAX_SCORE, np.asarray(latent_eq, float) / eq.MAX_SCORE).astype(float)


def draw_people(rng: np.random.Generator, n: int, effect: float, demo: dict) -> dict:
    """n simulated participants as the demo draws them: {ids, latent (0-80), score (EQ score 0-80), gain
    (>= 0), problem (planted problem per participant, "none" for most)}; ``effect`` replaces
    demo.reactions.eq_r (the planted correlation of gain with latent EQ)."""
    ids = cohort.participant_ids(n)
    people = cohort.draw_participants(rng, ids, demo["cohort"])
    latent = cohort.target_eq(rng, people["gender"].to_numpy() == "female", demo["cohort"])
    score = measured_eq(rng, latent)
    gain = mimicry_gains(latent, rng, {**demo["reactions"], "eq_r": effect}, demo["cohort"]["eq_mean"], demo["cohort"]["eq_sd"])
    problems = assign_problems(rng, ids, demo["problems"])
    return {"ids": ids, "latent": latent, "score": score, "gain": gain, "problem": np.array([problems[i] for i in ids])}


def planted_weights(test: dict, reactions: dict) -> dict[str, list[float]]:
    """{stimulus emotion of the test: weights of the expressions planted on its faces that are among the
    test's reactions} (demo.reactions.congruent); an empty list where none is."""
    emotions = test["congruent"] + test["incongruent"]
    return {e: [w for name, w in reactions["congruent"].get(e, {}).items() if name in test["reactions"]] for e in emotions}


def trial_intensity(rng: np.random.Generator, gain: np.ndarray, weights: list[float], trial_sd: float) -> np.ndarray:
    """Planted intensity (0-MAX_PEAK) of one trial per participant of ``gain``: the mean planted peak over
    ``weights`` with one trial factor per trial (as plan.reaction_events); zeros when ``weights`` is empty."""
    if not weights:
        return np.zeros(len(gain))
    trial = trial_factors(rng, trial_sd, len(gain))
    return np.mean([peak_intensity(gain, w, trial) for w in weights], axis=0)


def planted_effects(demo: dict, test: dict, effect: float, seed: int, knots: pd.DataFrame,
                    n: int = POPULATION) -> dict:
    """Population values of a test in response units: ``congruence`` (expected response of a congruent
    trial minus that of an incongruent one) and ``eq_moderation`` (least-squares slope of a participant's
    expected congruent-minus-incongruent response on the EQ score standardised, per SD of the score), for
    a planted gain-EQ correlation ``effect``. Each trial's planted intensity is drawn as the simulator
    draws it, then mapped through the transfer ``knots`` (fit_transfer); n participants from (seed, test,
    effect), one trial per stimulus emotion each."""
    rng = rng_for(seed, "planted_effects", f"{test['test']}:{effect:g}")
    people = draw_people(rng, n, effect, demo)
    trial_sd = demo["reactions"]["trial_sd"]
    response = {e: transfer(knots, trial_intensity(rng, people["gain"], w, trial_sd))
                for e, w in planted_weights(test, demo["reactions"]).items()}
    contrast = (np.mean([response[e] for e in test["congruent"]], axis=0)
                - np.mean([response[e] for e in test["incongruent"]], axis=0))
    z = (people["score"] - people["score"].mean()) / people["score"].std(ddof=1)
    return {"congruence": float(contrast.mean()), "eq_moderation": float(np.mean((contrast - contrast.mean()) * z) / np.mean(z * z))}


def transfer_noise(calibration: dict, test: str) -> dict:
    """{TRANSFER key: value} of one test from read_calibration()'s dict (rows transfer_<test>_<key>);
    a ValueError naming the rows when any is missing or NaN."""
    noise = {k: calibration.get(f"transfer_{test}_{k}", math.nan) for k in TRANSFER}
    bad = [f"transfer_{test}_{k}" for k, v in noise.items() if not np.isfinite(v)]
    if bad:
        raise ValueError(f"demo calibration: {', '.join(bad)} missing or NaN (validate_demo could not fit the "
                         f"transfer of test {test}); choose another demo_validation.power.interaction_test")
    return noise


def simulate_trials(rng: np.random.Generator, people: dict, test: dict, demo: dict, knots: pd.DataFrame,
                    noise: dict) -> pd.DataFrame:
    """One trial per participant of ``people`` (draw_people) x stimulus of the test's emotions (one per
    demo.protocol identity, named as the demo names them): participant_id, stimulus, identity,
    stimulus_emotion, reaction (the test's first) and response (response units) = transfer(knots, the
    trial's planted intensity, trial_intensity) + a participant and a stimulus intercept + a residual,
    normal with the variances of ``noise`` (transfer_noise; the residual's by congruence). A participant's
    congruence effect varies with their gain, independently of EQ beyond the planted correlation."""
    n, trial_sd = len(people["ids"]), demo["reactions"]["trial_sd"]
    person = rng.normal(0.0, math.sqrt(noise["var_participant"]), n)
    pieces = []
    for emotion, weights in planted_weights(test, demo["reactions"]).items():
        residual_var = noise["var_residual_congruent" if emotion in test["congruent"] else "var_residual_incongruent"]
        for identity in demo["protocol"]["identities"]:
            response = (transfer(knots, trial_intensity(rng, people["gain"], weights, trial_sd)) + person
                        + rng.normal(0.0, math.sqrt(noise["var_stimulus"])) + rng.normal(0.0, math.sqrt(residual_var), n))
            pieces.append(pd.DataFrame({"participant_id": people["ids"], "stimulus": f"{identity}{STIMULUS_EMOTION_CODES[emotion]}S",
                                        "identity": identity, "stimulus_emotion": emotion, "response": response}))
    return pd.concat(pieces, ignore_index=True).assign(reaction=test["reactions"][0])


def planted_trials(trials: pd.DataFrame, events: pd.DataFrame, test: dict, column: str = "response") -> pd.DataFrame:
    """The test's trial responses (congruence.trial_responses of ``trials``) with ``intensity``: the mean
    planted peak (0-MAX_PEAK) of the test's reactions planted on that participant x stimulus (events:
    plan.EVENT_COLUMNS), 0 where none is."""
    table = trial_responses(trials, test, column)
    planted = events[(events["event"] == "reaction") & events["reaction"].isin(test["reactions"])]
    intensity = planted.groupby(["participant_id", "stimulus"])["peak"].mean().rename("intensity").reset_index()
    table = table.merge(intensity, on=["participant_id", "stimulus"], how="left")
    table["intensity"] = table["intensity"].fillna(0.0)
    return table


def transfer(knots: pd.DataFrame, intensity) -> np.ndarray:
    """Expected response (response units) at planted ``intensity`` (0-MAX_PEAK): linear between the
    transfer's knots (fit_transfer), constant beyond its first and last."""
    return np.interp(np.asarray(intensity, float), knots["intensity"].to_numpy(float), knots["response"].to_numpy(float))


def fit_transfer(table: pd.DataFrame, random_stimulus: str = "stimulus") -> tuple[pd.DataFrame, dict]:
    """The transfer of planted intensity to response of a test, from its planted_trials ``table``.

    Returns (knots, noise). knots: intensity, response: the isotonic (non-decreasing) least-squares fit of
    response on intensity over all trials, pooled (the scorer reads weak expressions as nothing and
    strong ones steeply, so the transfer is not a line; more intensity never lowers the expected score).
    noise (TRANSFER keys): the REML fit of the residuals, response - transfer(intensity) ~ 1 +
    (1 | participant) + (1 | random_stimulus): intercept and the participant and stimulus variances
    (response units, squared for the variances); the residual variance separately for congruent and
    incongruent trials (each group's residual variance minus the two shared ones, at least 0: a strong
    planted expression is read less steadily than none); n participants, and ``note`` (why it could not
    be fitted, or the fit's warnings).
    """
    from sklearn.isotonic import IsotonicRegression

    n_participants, n_stimuli = table["participant_id"].nunique(), table[random_stimulus].nunique()
    note = ""
    if n_participants < 3 or n_stimuli < 3:
        note = f"{n_participants} participants and {n_stimuli} stimuli with trials; the transfer needs 3 of each"
    elif table["intensity"].nunique() < 2:
        note = "the planted intensity does not vary over these trials"
    noise = {"n": n_participants, "note": note, **{k: math.nan for k in TRANSFER}}
    if note:
        return pd.DataFrame({"intensity": [], "response": []}), noise
    iso = IsotonicRegression(out_of_bounds="clip").fit(table["intensity"], table["response"])
    knots = pd.DataFrame({"intensity": iso.X_thresholds_, "response": iso.y_thresholds_})
    residual = table["response"].to_numpy(float) - transfer(knots, table["intensity"])
    try:
        fit = fit_crossed(residual, pd.DataFrame({"Intercept": np.ones(len(table))}),
                          {"participant": table["participant_id"].to_numpy(), "stimulus": table[random_stimulus].to_numpy()})
    except np.linalg.LinAlgError as err:
        return knots, {**noise, "note": f"the residuals' variance components could not be fitted: {err}"}
    shared = fit.variances["participant"] + fit.variances["stimulus"]
    by_congruence = {c: max(0.0, float(np.var(residual[table["congruence"].to_numpy() == v], ddof=1)) - shared)
                     for c, v in (("congruent", 1.0), ("incongruent", 0.0))}
    noise.update(intercept=float(fit.coef["estimate"].iloc[0]), var_participant=fit.variances["participant"],
                 var_stimulus=fit.variances["stimulus"], var_residual_congruent=by_congruence["congruent"],
                 var_residual_incongruent=by_congruence["incongruent"], note="; ".join(fit.warnings))
    return knots, noise


def _model_row(models: pd.DataFrame, test: str, model: str, term: str) -> pd.Series:
    rows = models[(models["test"] == test) & (models["model"] == model) & (models["term"] == term)]
    if rows.empty:
        raise ValueError(f"congruence_models.tsv has no {term} row of test {test}, model {model}")
    return rows.iloc[0]


def _check(check: str, planted: float, row: pd.Series, passed: bool, note: str) -> dict:
    """A row of demo_recovery.tsv (recovery.RECOVERY_COLUMNS) from a congruence_models.tsv row."""
    fitted = np.isfinite(row["estimate"])
    return {"check": check, "planted": planted, "recovered": row["estimate"], "ci_low": row["ci_low"],
            "ci_high": row["ci_high"], "n": row["n_participants"], "passed": bool(fitted and passed),
            "note": note if fitted else f"{note}; not fitted: {row['note']}"}


def congruence_checks(models: pd.DataFrame, test: dict, planted: dict, level: str) -> list[dict]:
    """congruence_<test> (detected: the congruence model's interval excludes 0 on the planted side, or
    contains 0 when nothing is planted) and eq_moderation_<test> (the planted moderation lies in the
    congruence_x_eq model's interval of congruence:eq_z), from planted_effects' ``planted``."""
    name = test["test"]
    main = _model_row(models, name, "congruence", "congruence")
    moderation = _model_row(models, name, "congruence_x_eq", "congruence:eq_z")
    c, m = planted["congruence"], planted["eq_moderation"]
    if not np.isfinite(c):
        detected = False
    elif c == 0:
        detected = main["ci_low"] <= 0 <= main["ci_high"]
    else:
        detected = main["ci_low"] > 0 if c > 0 else main["ci_high"] < 0
    transfer = "planted intensities through the transfer measured on these trials (isotonic, pooled over participants)"
    return [
        _check(f"congruence_{name}", c, main, bool(detected),
               f"congruent minus incongruent response, model congruence; planted: the population value, {transfer}; "
               f"passes when the {level} interval excludes 0 on the planted side (detected)"),
        _check(f"eq_moderation_{name}", m, moderation, bool(moderation["ci_low"] <= m <= moderation["ci_high"]),
               f"congruence:eq_z of model congruence_x_eq (response units per SD of the EQ score); planted: the "
               f"population slope on the EQ score (reliability included) for the planted eq_r, {transfer}; "
               f"passes when it lies in the {level} interval"),
    ]


def demo_congruence(trials: pd.DataFrame, events: pd.DataFrame, models: pd.DataFrame, tests: list[dict], demo: dict,
                    *, column: str, random_stimulus: str, confidence: float) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """Every test's checks (congruence_checks) and transfer: (recovery rows; calibration rows, parameter
    transfer_<test>_<TRANSFER key> with n and note; knots: test, intensity, response of each transfer).

    ``trials``: the usable participants' trial means (tables.read_trial_means), ``events``: the planted
    events, ``models``: congruence_models.tsv, ``tests``: congruence.tests of analysis.congruence.
    """
    level = f"{100 * confidence:g}%"
    rows, calibration, all_knots = [], [], []
    for test in tests:
        knots, noise = fit_transfer(planted_trials(trials, events, test, column), random_stimulus)
        calibration += [{"parameter": f"transfer_{test['test']}_{k}", "value": float(noise[k]), "n": noise["n"],
                         "note": noise["note"] or "residuals of the transfer: response - transfer(intensity)"}
                        for k in TRANSFER]
        all_knots.append(knots.assign(test=test["test"]))
        if knots.empty:
            planted = {"congruence": math.nan, "eq_moderation": math.nan}
        else:
            planted = planted_effects(demo, test, demo["reactions"]["eq_r"], demo["seed"], knots)
        rows += congruence_checks(models, test, planted, level)
    knots = pd.concat(all_knots, ignore_index=True)[["test", "intensity", "response"]]
    return rows, pd.DataFrame(calibration), knots
