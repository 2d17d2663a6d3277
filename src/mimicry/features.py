"""Fan-in over participants: usable participants, the combined reaction tables and the feature matrix.

Per-participant parquet files are combined by streaming them through a pyarrow dataset (one row group
per participant), so hundreds of participants never need to be held in memory at once.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from mimicry.io import atomic_path
from mimicry.names import REACTIONS
from mimicry.quality import LEVELS

#: How per-stimulus maxima become one value per participant and reaction (pandas aggregations over
#: the stimuli whose window passed the coverage rule; NaN maxima are skipped, all-NaN gives NaN).
COMBINE = {"max_of_max": "max", "mean_of_max": "mean"}


def config_problems(config: dict) -> list[str]:
    """What the JSON schema cannot check in the quality, epochs and features config (empty when fine)."""
    problems = []
    for key, names in (("quality.mouth", config["quality"]["mouth"]),
                       ("epochs.timecourse.reactions", config["epochs"]["timecourse"]["reactions"])):
        unknown = [n for n in names if n not in REACTIONS]
        if unknown:
            problems.append(f"{key}: unknown reaction(s) {', '.join(unknown)}; known: {', '.join(REACTIONS)}")
    for metric, levels in config["quality"]["limits"].items():
        order = [levels[level] for level in LEVELS if level in levels]
        if order != sorted(order):
            problems.append(f"quality.limits.{metric}: limits must not decrease from minor to major to unusable")
    windows = config["epochs"]["windows"]
    names = [w["name"] for w in windows]
    if len(set(names)) < len(names):
        problems.append(f"epochs.windows: window names must be unique, got {', '.join(names)}")
    for w in windows:
        if w.get("end_ms") is not None and w["end_ms"] <= w["start_ms"]:
            problems.append(f"epochs.windows: window {w['name']} ends ({w['end_ms']} ms) before it starts ({w['start_ms']} ms)")
    if config["features"]["window"] not in names:
        problems.append(f"features.window: {config['features']['window']!r} is not one of epochs.windows ({', '.join(names)})")
    return problems


def usable_participants(quality: pd.DataFrame, max_grade: int) -> list[str]:
    """Participants (in table order) whose final grade is at most ``max_grade`` (0-3)."""
    return list(quality.loc[quality["final_grade"] <= max_grade, "participant_id"])


def combine_parquet(paths: list, dest, schema: pa.Schema) -> int:
    """Concatenate per-participant parquet files into ``dest`` batch by batch; returns the row count."""
    rows = 0
    with atomic_path(dest) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for batch in ds.dataset([str(p) for p in paths], format="parquet", schema=schema).to_batches():
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def feature_matrix(reactions_path, combine: str, windows: list[str], bare_window: str) -> pd.DataFrame:
    """The participant x feature matrix of results/features.tsv from results/reactions.parquet.

    For each participant, window and reaction the per-stimulus ``max`` values are combined over all the
    participant's stimuli: ``max_of_max`` takes the largest (the study: per participant the max of each
    reaction), ``mean_of_max`` their mean. Stimuli whose window failed the coverage rule (NaN) are
    skipped. Columns: participant_id, then per window (in ``windows`` order) one column per reaction
    (REACTIONS order), named ``<reaction>`` for ``bare_window`` and ``<reaction>_<window>`` otherwise.
    Only the four needed columns are read.
    """
    long = ds.dataset(str(reactions_path), format="parquet").to_table(
        columns=["participant_id", "window", "reaction", "max"]
    ).to_pandas()
    wide = long.groupby(["participant_id", "window", "reaction"], sort=False)["max"].agg(COMBINE[combine]).unstack(
        ["window", "reaction"]
    )
    wide = wide.reindex(columns=pd.MultiIndex.from_product([windows, REACTIONS]))
    wide.columns = [r if w == bare_window else f"{r}_{w}" for w, r in wide.columns]
    return wide.rename_axis("participant_id").reset_index()
