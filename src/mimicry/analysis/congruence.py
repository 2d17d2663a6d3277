"""Congruent vs incongruent trial responses, with mixed models that have random intercepts for participant
and for stimulus (or identity), so neither people nor pictures are pseudo-replicated.

A test (``tests``) names reactions, the congruent stimulus emotions and the incongruent ones. Each
participant x stimulus of those emotions is one trial; its response is the mean over the presentation's
time bins and over the test's reactions of results/trials.parquet (points, or z within participant and
reaction). Two models per test:

- ``congruence``: response ~ congruence + (1 | participant) + (1 | participant:congruence) +
  (1 | stimulus); congruence is 1 for congruent, 0 for incongruent faces, so its estimate is the congruent
  minus incongruent response. The participant x congruence intercept lets each person's congruence effect
  differ (people mimic more or less); without it the intervals of congruence and congruence:eq_z are far
  too narrow (docs/analysis.md: 36% coverage of a nominal 95% interval in the power simulation).
- ``congruence_x_eq`` (H2): response ~ congruence * eq_z + the same random effects; eq_z is EQ
  standardised over the model's participants, so ``congruence:eq_z`` is how much the congruence effect
  grows per SD of EQ.
- ``congruence_x_bin`` (with ``by_bin``): one row per trial x time bin, response ~ 0 + bin +
  congruence:bin + (1 | trial) + (1 | participant) + (1 | participant:congruence) + (1 | stimulus);
  ``bin_<start>`` is the incongruent response in the bin starting at <start> ms, ``congruence:bin_<start>``
  the congruence effect in that bin. The trial intercept keeps a trial's bins from counting as independent
  trials, the participant x congruence intercept (as above) a person's congruent trials from counting as
  independent evidence of everyone's congruence effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mimicry.analysis.mixed import fit_crossed
from mimicry.analysis.notes import USABLE, join, shortfall
from mimicry.names import STIMULUS_EMOTIONS

MODELS = ("congruence", "congruence_x_eq")
BIN_MODEL = "congruence_x_bin"
#: The keys of a trial x bin row of congruence_x_bin.
BIN_KEYS = ("stimulus", "identity", "stimulus_emotion", "bin_start_ms")
#: Fewest participants and stimuli a model is fitted on (a variance component needs at least 3 levels).
MIN_LEVELS = 3
TERMS = {"congruence": ["Intercept", "congruence"],
         "congruence_x_eq": ["Intercept", "congruence", "eq_z", "congruence:eq_z"],
         BIN_MODEL: ["bin", "congruence:bin"]}  # one pair per bin when fitted
COLUMNS = ["test", "kind", "model", "term", "estimate", "se", "df", "t", "p", "ci_low", "ci_high",
           "var_participant", "var_stimulus", "var_trial", "var_participant_congruence", "var_residual", "n_participants", "n_stimuli", "n_trials",
           "reactions", "congruent", "incongruent", "random_stimulus", "response", "warnings", "note"]


def tests(mapping: dict, contrasts: list[dict]) -> list[dict]:
    """One test per emotion of ``mapping`` (its reactions to its faces vs to the other emotional faces,
    neutral excluded) and one per contrast (one reaction, congruent vs incongruent emotion)."""
    emotional = [e for e in STIMULUS_EMOTIONS if e != "neutral"]
    by_emotion = [{"test": emotion, "kind": "emotion", "reactions": list(reactions), "congruent": [emotion],
                   "incongruent": [e for e in emotional if e != emotion]} for emotion, reactions in mapping.items()]
    by_contrast = [{"test": c["name"], "kind": "contrast", "reactions": [c["reaction"]], "congruent": [c["congruent"]],
                    "incongruent": [c["incongruent"]]} for c in contrasts]
    return by_emotion + by_contrast


def trial_responses(trials: pd.DataFrame, test: dict, column: str = "response",
                    by: tuple = ("stimulus", "identity", "stimulus_emotion")) -> pd.DataFrame:
    """One row per participant x stimulus of the test's emotions (``by``): participant_id, stimulus, identity,
    stimulus_emotion, congruence (1 congruent, 0 incongruent) and response: ``column`` averaged over the
    time bins for each of the test's reactions, then over those reactions (missing values skipped; trials
    without any are dropped). With ``by`` = ("stimulus_emotion", "bin_start_ms"): per participant, emotion
    and bin (the figures)."""
    rows = trials[trials["reaction"].isin(test["reactions"])
                  & trials["stimulus_emotion"].isin(test["congruent"] + test["incongruent"])]
    keys = ["participant_id", *by]
    per_reaction = rows.groupby([*keys, "reaction"], observed=True)[column].mean()
    table = per_reaction.groupby(level=keys, observed=True).mean().rename("response").dropna().reset_index()
    table["congruence"] = table["stimulus_emotion"].isin(test["congruent"]).astype(float)
    return table


def congruence_timecourses(trials: pd.DataFrame, tests_: list[dict], column: str = "response") -> pd.DataFrame:
    """Per test, participant, congruence (1/0) and bin (bin_start_ms): the mean response over the test's
    reactions and the participant's trials of that congruence (incongruent emotions weighted equally)."""
    pieces = []
    for test in tests_:
        table = trial_responses(trials, test, column, by=("stimulus_emotion", "bin_start_ms"))
        keys = ["participant_id", "congruence", "bin_start_ms"]
        pieces.append(table.groupby(keys, observed=True)["response"].mean().reset_index().assign(test=test["test"]))
    columns = ["test", "participant_id", "congruence", "bin_start_ms", "response"]
    return pd.concat(pieces, ignore_index=True)[columns] if pieces else pd.DataFrame(columns=columns)


def design(table: pd.DataFrame, model: str) -> pd.DataFrame:
    """Fixed-effect columns of ``model`` (MODELS) for ``table`` (with eq_score for congruence_x_eq)."""
    if model == BIN_MODEL:
        bins = pd.get_dummies(table["bin_start_ms"].map(lambda b: f"bin_{b:g}"), dtype=float).reset_index(drop=True)
        bins = bins[sorted(bins.columns, key=lambda c: float(c[4:]))]
        return pd.concat([bins, bins.mul(table["congruence"].to_numpy(), axis=0).add_prefix("congruence:")], axis=1)
    X = pd.DataFrame({"Intercept": 1.0, "congruence": table["congruence"].to_numpy(float)})
    if model == "congruence_x_eq":
        eq = table.drop_duplicates("participant_id")["eq_score"]
        X["eq_z"] = ((table["eq_score"] - eq.mean()) / eq.std()).to_numpy(float)
        X["congruence:eq_z"] = X["congruence"] * X["eq_z"]
    return X


def _shortfalls(table: pd.DataFrame, model: str, who: str, random_stimulus: str) -> str:
    n_participants, n_stimuli = table["participant_id"].nunique(), table[random_stimulus].nunique()
    levels = table.groupby("congruence")["stimulus"].nunique().reindex([0.0, 1.0], fill_value=0)
    needed = MIN_LEVELS + (model == "congruence_x_eq")
    return join(
        shortfall(n_participants, needed, f"the {model} model", who),
        shortfall(n_stimuli, MIN_LEVELS, f"the {model} model", "stimuli" if random_stimulus == "stimulus" else "identities"),
        "" if levels.min() > 0 else "no congruent or no incongruent trials",
        "" if model != "congruence_x_eq" or table.drop_duplicates("participant_id")["eq_score"].std() > 0
        else "EQ does not vary between the participants",
    )


def fit_test(trials: pd.DataFrame, eq: pd.DataFrame, test: dict, model: str, *, column: str = "response",
             random_stimulus: str = "stimulus", confidence: float = 0.95, who: str = USABLE,
             random_congruence: bool = True) -> pd.DataFrame:
    """The rows (COLUMNS, one per term) of one test's ``model``; a model that cannot be fitted gives its
    terms with NaN statistics and a note saying why. ``random_congruence`` False drops the participant x
    congruence intercept (the intercept-only model, which power compares: its intervals are too narrow when
    people's congruence effects differ)."""
    table = trial_responses(trials, test, column, by=BIN_KEYS if model == BIN_MODEL else BIN_KEYS[:3])
    if model == "congruence_x_eq":
        table = table.merge(eq, on="participant_id", how="inner")
    note = _shortfalls(table, model, f"{who} with trials" + (" and an EQ score" if model == "congruence_x_eq" else ""),
                       random_stimulus)
    X = design(table, model) if not note else None
    if X is not None and np.linalg.matrix_rank(X.to_numpy(float)) < X.shape[1]:
        note = f"the {model} model's fixed effects are not estimable from these trials (e.g. a bin without congruent trials)"
    info = {"test": test["test"], "kind": test["kind"], "model": model, "n_participants": table["participant_id"].nunique(),
            "n_stimuli": table["stimulus"].nunique(),
            "n_trials": len(table.drop_duplicates(["participant_id", "stimulus"])),
            "reactions": ",".join(test["reactions"]), "congruent": ",".join(test["congruent"]),
            "incongruent": ",".join(test["incongruent"]), "random_stimulus": random_stimulus, "response": column}
    groups = {"participant": table["participant_id"].to_numpy(), "stimulus": table[random_stimulus].to_numpy()}
    if random_congruence:
        groups = {"participant_congruence": (table["participant_id"] + "|" + table["congruence"].astype(str)).to_numpy(), **groups}
    if model == BIN_MODEL:  # first: the factor with most levels (mimicry.analysis.mixed)
        groups = {"trial": (table["participant_id"] + "|" + table["stimulus"]).to_numpy(), **groups}
    try:
        fit = None if note else fit_crossed(table["response"], X, groups, confidence)
    except np.linalg.LinAlgError as err:  # a degenerate design the checks above did not foresee
        note = f"the {model} model could not be fitted: {err}"
    if note:
        return pd.DataFrame([{"term": term, **info, "warnings": "", "note": note} for term in TERMS[model]]).reindex(columns=COLUMNS)
    coef = fit.coef.assign(**info, var_participant=fit.variances["participant"], var_stimulus=fit.variances["stimulus"],
                           var_trial=fit.variances.get("trial", float("nan")),
                           var_participant_congruence=fit.variances.get("participant_congruence", float("nan")),
                           var_residual=fit.variances["residual"],
                           warnings="; ".join(fit.warnings), note="")
    return coef[COLUMNS]


def congruence_models(trials: pd.DataFrame, eq: pd.DataFrame, config: dict, confidence: float = 0.95,
                      who: str = USABLE, binned: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every test of config ``analysis.congruence`` x MODELS, one row per term (COLUMNS); with
    ``binned`` (trial means per bin: tables.read_trial_means with ``by`` = BIN_KEYS) also BIN_MODEL."""
    kwargs = {"column": config["response"], "random_stimulus": config["random_stimulus"], "confidence": confidence,
              "who": who}
    rows = []
    for test in tests(config["mapping"], config["contrasts"]):
        rows += [fit_test(trials, eq, test, model, **kwargs) for model in MODELS]
        if binned is not None:
            rows.append(fit_test(binned, eq, test, BIN_MODEL, **kwargs))
    return pd.concat(rows, ignore_index=True)


def effect_rows(models: pd.DataFrame, term: str = "congruence", model: str = "congruence") -> pd.DataFrame:
    """The rows of ``term`` in ``model`` (for the forest plot), in table order."""
    return models[(models["term"] == term) & (models["model"] == model)].reset_index(drop=True)

