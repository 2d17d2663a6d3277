"""Trial responses in time bins, as the facial-mimicry literature analyses them, and iMotions' metrics.

Each participant x stimulus x reaction: the reaction's mean in bins of ``bin_ms`` over the presentation
minus the trial's own baseline (default: the mean of the last ``baseline_ms`` = 1000 ms before onset),
and the same z-scored within participant and reaction; and the iMotions-style aggregates of the
presentation (time above a threshold, onsets above it, area under the baseline-corrected curve). Times
are ms since stimulus onset; scores are 0-100 and responses are differences from the baseline in score
points (-100 to 100), or z.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from mimicry.epochs import BASELINES, REACTION_SCHEMA, baselines, coverage, epoch_bounds, epochs, frame_interval_ms
from mimicry.names import REACTIONS

#: Trial baselines: the mean of the last baseline_ms before onset, or one of the epoch baselines.
TRIAL_BASELINES = ("pre_mean", *BASELINES)

#: The leading fields of every per-stimulus x reaction table: participant_id ... block, reaction.
KEY_FIELDS = [REACTION_SCHEMA.field(name) for name in
              ("participant_id", "stimulus", "stimulus_emotion", "identity", "block", "reaction")]
#: results/trials/{participant}.parquet: one row per stimulus x reaction x time bin.
TRIAL_SCHEMA = pa.schema(
    [
        *KEY_FIELDS,
        ("bin_start_ms", pa.float64()),
        ("bin_end_ms", pa.float64()),
        ("baseline", pa.string()),
        ("baseline_value", pa.float64()),
        ("response", pa.float64()),
        ("response_z", pa.float64()),
        ("n_frames", pa.int64()),
        ("coverage", pa.float64()),
    ]
)

#: results/imotions/{participant}.parquet: one row per stimulus x reaction.
METRIC_SCHEMA = pa.schema(
    [
        *KEY_FIELDS,
        ("threshold", pa.float64()),
        ("time_above_pct", pa.float64()),
        ("n_onsets", pa.int64()),
        ("auc", pa.float64()),
        ("n_frames", pa.int64()),
        ("coverage", pa.float64()),
    ]
)


def pre_means(table: pd.DataFrame, bounds: pd.DataFrame, baseline_ms: float, min_coverage: float,
              interval_ms: float) -> pd.DataFrame:
    """Per stimulus (index) x reaction (columns): the mean of the face frames in the last ``baseline_ms``
    before onset (clipped to the pre-stimulus blank, ``table`` from epochs()); NaN when faces cover less
    than ``min_coverage`` of that span."""
    pre = table[(table["phase"] == "pre") & (table["time_ms"] >= -baseline_ms)]
    rows = {}
    for stimulus, b in bounds.iterrows():
        frames = pre[pre["stimulus"] == stimulus]
        span = min(baseline_ms, b.onset - b.pre_start)
        covered = coverage(frames["face"], span, interval_ms) >= min_coverage
        rows[stimulus] = frames.loc[frames["face"], list(REACTIONS)].mean() if covered else pd.Series(np.nan, REACTIONS)
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(REACTIONS)).rename_axis("stimulus")


def trial_bins(table: pd.DataFrame, stimuli: pd.DataFrame, base: pd.DataFrame, bin_ms: float, min_coverage: float,
               interval_ms: float, baseline: str) -> pd.DataFrame:
    """Per stimulus x reaction x bin of ``bin_ms`` over [0, duration): the mean of the bin's face frames
    minus the trial's baseline (``base``: stimulus x reaction, points). A bin whose face frames cover less
    than ``min_coverage`` of its span, or a NaN baseline, gives a NaN response. The last bin ends at the
    offset. ``response_z`` is left NaN (see add_z). Columns of TRIAL_SCHEMA."""
    shown = table[table["phase"] == "stimulus"]
    blocks = []
    for stim in stimuli.itertuples(index=False):
        frames = shown[shown["stimulus"] == stim.stimulus]
        starts = np.arange(0.0, stim.duration_ms, bin_ms)
        index = np.floor(frames["time_ms"].to_numpy(float) / bin_ms).astype(int)
        offset = base.loc[stim.stimulus, list(REACTIONS)].to_numpy(float)
        for i, start in enumerate(starts):
            end = min(start + bin_ms, stim.duration_ms)
            inside = frames[index == i]
            face = inside["face"].to_numpy(bool)
            cover = coverage(face, end - start, interval_ms)
            values = inside.loc[face, list(REACTIONS)].to_numpy(float)
            mean = np.nanmean(values, axis=0) if face.any() and cover >= min_coverage else np.full(len(REACTIONS), np.nan)
            blocks.append(pd.DataFrame({
                "participant_id": stim.participant_id, "stimulus": stim.stimulus,
                "stimulus_emotion": stim.stimulus_emotion, "identity": stim.identity, "block": stim.block,
                "reaction": REACTIONS, "bin_start_ms": start, "bin_end_ms": end, "baseline": baseline,
                "baseline_value": offset, "response": mean - offset, "response_z": np.nan,
                "n_frames": int(face.sum()), "coverage": cover,
            }))
    return pd.concat(blocks, ignore_index=True)[TRIAL_SCHEMA.names]


def add_z(trials: pd.DataFrame) -> pd.DataFrame:
    """``response_z``: ``response`` z-scored within participant and reaction over all their stimuli and bins
    (sample SD); NaN where the SD is 0 or undefined (a reaction that never moved)."""
    group = trials.groupby(["participant_id", "reaction"], observed=True, sort=False)["response"]
    sd = group.transform("std")
    trials["response_z"] = ((trials["response"] - group.transform("mean")) / sd.where(sd > 0)).astype(float)
    return trials


def presentation_metrics(table: pd.DataFrame, stimuli: pd.DataFrame, base: pd.DataFrame, threshold: float,
                         min_coverage: float, interval_ms: float) -> pd.DataFrame:
    """Per stimulus x reaction over the presentation's face frames (METRIC_SCHEMA): ``time_above_pct``, the
    percent (0-100) of them whose absolute score (0-100) exceeds ``threshold``; ``n_onsets``, the runs of
    consecutive face frames above it; ``auc``, the area under the baseline-corrected curve (points x s,
    trapezoids between face frames). NaN (onsets: 0) when faces cover less than ``min_coverage``."""
    shown = table[(table["phase"] == "stimulus") & table["face"]]
    blocks = []
    for stim in stimuli.itertuples(index=False):
        frames = shown[shown["stimulus"] == stim.stimulus]
        cover = coverage(np.ones(len(frames), bool), stim.duration_ms, interval_ms)
        values = frames[list(REACTIONS)].to_numpy(float)
        above = values > threshold
        starts = (np.diff(np.vstack([np.zeros((1, len(REACTIONS)), bool), above]).astype(int), axis=0) == 1).sum(axis=0)
        corrected = values - base.loc[stim.stimulus, list(REACTIONS)].to_numpy(float)
        stats = {"time_above_pct": 100 * above.mean(axis=0) if len(frames) else np.nan, "n_onsets": starts,
                 "auc": np.trapz(corrected, frames["time_ms"].to_numpy(float) / 1000, axis=0)}
        if cover < min_coverage:
            stats = {"time_above_pct": np.nan, "n_onsets": 0, "auc": np.nan}
        blocks.append(pd.DataFrame({
            "participant_id": stim.participant_id, "stimulus": stim.stimulus, "stimulus_emotion": stim.stimulus_emotion,
            "identity": stim.identity, "block": stim.block, "reaction": REACTIONS, "threshold": float(threshold),
            **stats, "n_frames": len(frames), "coverage": cover,
        }))
    return pd.concat(blocks, ignore_index=True)[METRIC_SCHEMA.names]


def participant_trials(frames: pd.DataFrame, stimuli: pd.DataFrame, *, pre_blank_ms: float, post_blank_ms: float,
                       min_coverage: float, bin_ms: float, baseline: str, baseline_ms: float,
                       threshold: float = 50.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One participant's trial responses in time bins (TRIAL_SCHEMA) and presentation metrics (METRIC_SCHEMA),
    baseline ``baseline`` (TRIAL_BASELINES): pre_mean uses the last ``baseline_ms`` before onset, the others
    are epochs.baselines(); ``threshold`` (0-100) of the metrics."""
    if baseline not in TRIAL_BASELINES:
        raise ValueError(f"unknown trial baseline {baseline!r}; expected one of {', '.join(TRIAL_BASELINES)}")
    bounds = epoch_bounds(stimuli, pre_blank_ms, post_blank_ms)
    table = epochs(frames, bounds)
    interval = frame_interval_ms(frames["time_ms"])
    if baseline == "pre_mean":
        base = pre_means(table, bounds, baseline_ms, min_coverage, interval)
    else:
        base = baselines(table, bounds, stimuli, baseline, min_coverage, interval)
    return (add_z(trial_bins(table, stimuli, base, bin_ms, min_coverage, interval, baseline)),
            presentation_metrics(table, stimuli, base, threshold, min_coverage, interval))
