"""Readers of the workflow's participant-keyed tables: participant_id is always text.

An id such as ``007`` (or ``NA``) is valid (participants.schema.yaml), so no reader may let pandas turn it
into the number 7 or a missing value. Every script reads these tables through the reader of that table.
"""

from __future__ import annotations

import os

import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

KEY = "participant_id"


def read_keyed(path: str | os.PathLike, columns=None) -> pd.DataFrame:
    """A workflow table, tab-separated text or Parquet (by the ``.parquet`` suffix), only ``columns`` when
    given, with participant_id (where the table has one) read as text exactly as written."""
    if str(path).endswith(".parquet"):
        table = pd.read_parquet(path, columns=columns)
        return table.astype({KEY: str}) if KEY in table else table
    return pd.read_csv(path, sep="\t", converters={KEY: str}, usecols=columns)


def read_eq_scores(path: str | os.PathLike) -> pd.DataFrame:
    """results/eq_scores.tsv: participant_id, eq_score (0-80, NaN without a score), n_scored_answered, status."""
    return read_keyed(path)


def read_quality(path: str | os.PathLike) -> pd.DataFrame:
    """results/quality.tsv: one row per participant, the metrics, auto_grade, final_grade (0-3) and reason."""
    return read_keyed(path)


def read_timecourses(path: str | os.PathLike) -> pd.DataFrame:
    """results/timecourses.parquet: participant_id, stimulus, stimulus_emotion, reaction, time_ms, value (0-100)."""
    return read_keyed(path)


def read_trial_means(path: str | os.PathLike, column: str, reactions, by: tuple = ("stimulus", "identity", "stimulus_emotion")) -> pd.DataFrame:
    """results/trials.parquet reduced while reading: per participant_id x ``by`` x reaction (only
    ``reactions``), the mean of ``column`` over the rows (time bins, or stimuli when ``by`` has no
    stimulus); missing values skipped. participant_id stays text."""
    table = ds.dataset(path).to_table(columns=["participant_id", *by, "reaction", column],
                                      filter=pc.field("reaction").isin(list(reactions)))
    keys = ["participant_id", *by, "reaction"]
    means = table.group_by(keys).aggregate([(column, "mean")]).to_pandas()
    return means.rename(columns={f"{column}_mean": column})[[*keys, column]]
