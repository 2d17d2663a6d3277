"""The rows an analysis sees, built from the reaction features and the EQ scores.

Two analysis units (``UNITS``):

- ``participant``: one row per participant, the features of ``results/features.tsv`` (each reaction's
  per-stimulus maximum combined over the participant's stimuli). Rows are independent.
- ``participant_stimulus``: one row per participant x stimulus, the per-stimulus maximum of each
  reaction, with the participant's EQ repeated on each of their rows (what the study did). Rows of one
  participant are not independent: analyses cluster on ``participant_id``.

Reaction values are 0-100, EQ 0-80.
"""

from __future__ import annotations

import pandas as pd

from mimicry.features import COMBINE
from mimicry.names import REACTIONS
from mimicry.tables import read_eq_scores, read_keyed

UNITS = ("participant", "participant_stimulus")
STIMULUS_KEYS = ["participant_id", "stimulus", "stimulus_emotion", "block"]


def read_eq(path) -> pd.DataFrame:
    """participant_id and eq_score (0-80) of the participants that have a score."""
    scores = read_eq_scores(path)
    return scores.loc[scores["eq_score"].notna(), ["participant_id", "eq_score"]].reset_index(drop=True)


def read_features(path) -> pd.DataFrame:
    """results/features.tsv: participant_id and one column per reaction (0-100); errors name missing columns."""
    features = read_keyed(path)
    missing = [c for c in ("participant_id", *REACTIONS) if c not in features]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; expected participant_id and the 27 reactions")
    return features[["participant_id", *REACTIONS]]


def read_reactions(path, columns=None) -> pd.DataFrame:
    """results/reactions.parquet (long), only ``columns`` when given; participant_id as str."""
    return read_keyed(path, columns)


def select_window(reactions: pd.DataFrame, window: str) -> pd.DataFrame:
    """Rows of the long reaction table in ``window``; a clear error when the window is absent from a
    table that has rows (an empty table, a pilot without usable participants, gives no rows)."""
    rows = reactions[reactions["window"] == window]
    if rows.empty and not reactions.empty:
        present = ", ".join(sorted(map(str, reactions["window"].unique())))
        raise ValueError(f"no reaction features in window {window!r}; windows present: {present or 'none'}")
    return rows


def stimulus_features(reactions: pd.DataFrame, window: str) -> pd.DataFrame:
    """Wide table, one row per participant x stimulus: the max (0-100) of each of the 27 reactions in ``window``.

    Columns participant_id, stimulus, stimulus_emotion, block, then REACTIONS. A reaction missing for a
    stimulus is NaN; a participant x stimulus x reaction given twice is an error naming it.
    """
    rows = select_window(reactions, window)
    twice = rows.duplicated(["participant_id", "stimulus", "reaction"], keep=False)
    if twice.any():
        first = rows[twice].iloc[0]
        raise ValueError(
            f"participant {first.participant_id}, stimulus {first.stimulus}: reaction {first.reaction} appears "
            f"more than once in window {window!r}"
        )
    wide = rows.pivot(index=STIMULUS_KEYS, columns="reaction", values="max")
    return wide.reindex(columns=list(REACTIONS)).reset_index().rename_axis(columns=None)


def unit_table(
    unit: str, eq: pd.DataFrame, features: pd.DataFrame | None, reactions: pd.DataFrame | None, window: str = "full"
) -> pd.DataFrame:
    """The rows analysed in ``unit``: participant_id, (stimulus, stimulus_emotion, block,) eq_score, REACTIONS.

    ``participant`` takes ``features`` (results/features.tsv); ``participant_stimulus`` takes the
    per-stimulus maxima of ``reactions`` in ``window`` (the window features.tsv is built on: full).
    Only participants with an EQ score are kept, and rows with any missing reaction are dropped
    (listwise), so every analysis of a unit sees the same rows. Sorted by participant (and stimulus).
    """
    if unit not in UNITS:
        raise ValueError(f"unknown analysis unit {unit!r}; expected one of {', '.join(UNITS)}")
    rows = features if unit == "participant" else stimulus_features(reactions, window)
    keys = ["participant_id"] if unit == "participant" else STIMULUS_KEYS
    table = rows.merge(eq, on="participant_id", how="inner")[[*keys, "eq_score", *REACTIONS]]
    return table.dropna().sort_values(keys[:2], kind="stable").reset_index(drop=True)


def read_unit_table(unit: str, eq_path, features_path, reactions_path, window: str = "full") -> pd.DataFrame:
    """``unit_table`` from the files (results/eq_scores.tsv, features.tsv, reactions.parquet), reading only
    what the unit needs."""
    eq = read_eq(eq_path)
    if unit == "participant":
        return unit_table(unit, eq, read_features(features_path), None, window)
    columns = [*STIMULUS_KEYS, "reaction", "window", "max"]
    return unit_table(unit, eq, None, read_reactions(reactions_path, columns), window)


def participant_measure(
    reactions: pd.DataFrame,
    window: str,
    reaction: str | None = None,
    stimulus_emotion: str | None = None,
    combine: str = "max_of_max",
) -> pd.Series:
    """One value per participant (index participant_id), 0-100.

    The per-stimulus max of ``reaction`` in ``window`` over the stimuli of ``stimulus_emotion``,
    combined over those stimuli as features.tsv combines them (``combine``: max_of_max or mean_of_max,
    ``mimicry.features.COMBINE``; missing values skipped). With
    ``reaction`` None, every reaction is combined that way and the reactions are then averaged (the
    study's "average of all max reactions"); with ``stimulus_emotion`` None, all stimuli count.
    """
    rows = select_window(reactions, window)
    if reaction is not None:
        rows = rows[rows["reaction"] == reaction]
    if stimulus_emotion is not None:
        rows = rows[rows["stimulus_emotion"] == stimulus_emotion]
    per_reaction = rows.groupby(["participant_id", "reaction"], observed=True)["max"].agg(COMBINE[combine])
    return per_reaction.groupby(level="participant_id", observed=True).mean()


def measures_table(reactions: pd.DataFrame, measures: list[dict], combine: str = "max_of_max") -> pd.DataFrame:
    """Per-participant measures, one column per entry of ``measures`` (index participant_id).

    Each entry: ``name``, ``window`` and optionally ``reaction`` and ``stimulus_emotion``
    (see ``participant_measure``).
    """
    columns = {
        m["name"]: participant_measure(
            reactions, m["window"], m.get("reaction"), m.get("stimulus_emotion"), combine=combine
        )
        for m in measures
    }
    return pd.DataFrame(columns).rename_axis("participant_id")


def emotion_profile(reactions: pd.DataFrame, window: str = "full", combine: str = "max_of_max") -> pd.DataFrame:
    """Long table participant_id, stimulus_emotion, reaction, value (0-100) for the figures.

    value: the per-stimulus max in ``window`` combined (``combine``, as in ``participant_measure``)
    over the participant's stimuli of that emotion.
    """
    rows = select_window(reactions, window)
    keys = ["participant_id", "stimulus_emotion", "reaction"]
    return rows.groupby(keys, observed=True)["max"].agg(COMBINE[combine]).rename("value").reset_index()


def analysis_sample(quality: pd.DataFrame, eq: pd.DataFrame, reactions: pd.DataFrame) -> pd.DataFrame:
    """Who enters the facial analysis and why not: one row per participant of quality.tsv.

    Columns participant_id, final_grade, reason (from quality.tsv), has_eq, has_reactions, n_stimuli
    (stimuli with reaction features) and included (has_eq and has_reactions).
    """
    counts = reactions.groupby("participant_id", observed=True)["stimulus"].nunique().rename("n_stimuli")
    sample = quality[["participant_id", "final_grade", "reason"]].astype({"participant_id": str})
    sample = sample.merge(counts, left_on="participant_id", right_index=True, how="left")
    sample["n_stimuli"] = sample["n_stimuli"].fillna(0).astype(int)
    sample["has_eq"] = sample["participant_id"].isin(eq["participant_id"])
    sample["has_reactions"] = sample["n_stimuli"] > 0
    sample["included"] = sample["has_eq"] & sample["has_reactions"]
    order = ["participant_id", "final_grade", "reason", "has_eq", "has_reactions", "n_stimuli", "included"]
    return sample[order].sort_values("participant_id").reset_index(drop=True)

