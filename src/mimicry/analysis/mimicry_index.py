"""A congruent-mimicry index per participant, its link to EQ and its reliability across blocks.

For each pair (stimulus emotion -> congruent reaction), e.g. happy -> joy, the participant's mean
per-stimulus max of that reaction to faces of that emotion minus its mean to all other faces (0-100
points; positive: the participant shows the reaction more to the matching faces). The index is the
mean of the pair differences. Reliability: the index computed separately on two halves of the blocks
(e.g. blocks 1 and 3 vs 2 and 4), Pearson r between halves over participants, and the Spearman-Brown
corrected full-length reliability 2r / (1 + r).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from mimicry.analysis.correlation import pearson
from mimicry.analysis.data import select_window
from mimicry.analysis.notes import USABLE, join, shortfall

#: The study's stimulus emotions paired with the reaction that mimics them (contempt has no stimulus).
CONGRUENT_PAIRS = {
    "happy": "joy",
    "angry": "anger",
    "afraid": "fear",
    "disgusted": "disgust",
    "sad": "sadness",
    "surprised": "surprise",
}


def congruent_index(reactions: pd.DataFrame, pairs: dict = CONGRUENT_PAIRS, window: str = "full", blocks=None) -> pd.DataFrame:
    """Per participant (index participant_id): one column per pair, ``<reaction>_to_<emotion>``, and ``index``.

    Only stimuli of ``blocks`` count when given. A pair without congruent or without other stimuli is
    NaN, and so is then the index (it always averages the same pairs).
    """
    rows = select_window(reactions, window)
    if blocks is not None:
        rows = rows[rows["block"].isin(list(blocks))]
    columns = {}
    for emotion, reaction in pairs.items():
        values = rows[rows["reaction"] == reaction]
        congruent = values["stimulus_emotion"] == emotion
        by_participant = [values[mask].groupby("participant_id", observed=True)["max"].mean() for mask in (congruent, ~congruent)]
        columns[f"{reaction}_to_{emotion}"] = by_participant[0] - by_participant[1]
    table = pd.DataFrame(columns).rename_axis("participant_id")
    table["index"] = table.mean(axis=1, skipna=False)
    return table


def spearman_brown(r: float) -> float:
    """Full-length reliability from the correlation of two halves: 2r / (1 + r)."""
    return 2 * r / (1 + r)


def index_table(reactions: pd.DataFrame, eq: pd.DataFrame, pairs: dict, window: str, halves) -> pd.DataFrame:
    """One row per participant with reactions: participant_id, eq_score (NaN without), the pair columns,
    index, and index_half1 / index_half2 over the blocks of ``halves`` (two lists of block numbers)."""
    table = congruent_index(reactions, pairs, window)
    for i, blocks in enumerate(halves, start=1):
        table[f"index_half{i}"] = congruent_index(reactions, pairs, window, blocks)["index"]
    table = table.reset_index().merge(eq, on="participant_id", how="left")
    return table[["participant_id", "eq_score", *table.columns.drop(["participant_id", "eq_score"])]]


def index_summary(table: pd.DataFrame, halves, confidence: float = 0.95, who: str = USABLE) -> pd.DataFrame:
    """One row: whether there is congruent mimicry at all (n, mean_index, and a one-sample t-test of the
    index against 0: t_index, p_index), the index's Pearson correlation with EQ (r_eq, p_eq, n_eq,
    ci_low, ci_high; Fisher z) and its split-half reliability (split_half_r, n_split_half,
    spearman_brown, halves) and a note saying why any of them is NaN (participants counted as ``who``)."""
    index = table["index"].dropna().to_numpy(float)
    t_note = shortfall(len(index), 2, "the t-test of the index", f"{who} with an index")
    t, p = stats.ttest_1samp(index, 0.0) if not t_note else (np.nan, np.nan)
    eq = pearson(table["index"].to_numpy(float), table["eq_score"].to_numpy(float), confidence,
                 f"{who} with an index and an EQ score", ("the index", "EQ"))
    half = pearson(table["index_half1"].to_numpy(float), table["index_half2"].to_numpy(float), confidence,
                   f"{who} with both half indices", ("half 1", "half 2"))
    return pd.DataFrame(
        [
            {
                "n": len(index),
                "mean_index": float(np.mean(index)) if len(index) else np.nan,
                "t_index": float(t),
                "p_index": float(p),
                "r_eq": eq["r"],
                "p_eq": eq["p"],
                "n_eq": eq["n"],
                "ci_low": eq["ci_low"],
                "ci_high": eq["ci_high"],
                "split_half_r": half["r"],
                "n_split_half": half["n"],
                "spearman_brown": spearman_brown(half["r"]),
                "halves": " vs ".join("+".join(map(str, blocks)) for blocks in halves),
                "note": join(t_note, eq["note"] and f"r with EQ: {eq['note']}",
                             half["note"] and f"split-half r: {half['note']}"),
            }
        ]
    )
