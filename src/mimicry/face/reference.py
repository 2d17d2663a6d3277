"""The participant's own neutral reference: which frames show the resting face.

Mimicry is a change in a face, so expressions are scored as changes from the participant's own neutral
frames. By default these are the blank screens between stimuli, the lead-in before the first stimulus
and the neutral stimuli, each after a settling margin. Fallback for recordings without such periods:
the least expressive stretch of the recording (the window whose meshes lie closest to the recording's
median mesh).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def stimulus_periods(stimuli: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(onset_ms, offset_ms) of the stimuli, sorted by onset."""
    order = np.argsort(stimuli["onset_ms"].to_numpy(float), kind="stable")
    onset = stimuli["onset_ms"].to_numpy(float)[order]
    return onset, onset + stimuli["duration_ms"].to_numpy(float)[order]


def neutral_mask(time_ms: np.ndarray, stimuli: pd.DataFrame, *, settle_ms: float = 1000.0,
                 min_frames: int = 10, mesh: np.ndarray | None = None, window_ms: float = 2000.0) -> np.ndarray:
    """Boolean mask of the frames that form the participant's neutral reference.

    time_ms: frame times (ms from video start). stimuli: THIS participant's rows of stimuli.tsv
    (onset_ms, duration_ms, stimulus_emotion). A frame is neutral when it lies in the lead-in before the
    first stimulus, in a blank between stimuli, or in a neutral stimulus from settle_ms after its onset;
    frames within settle_ms after an emotional stimulus ends and frames after the last stimulus are not
    used. With fewer than min_frames such frames (e.g. no stimulus log) and the aligned meshes given
    (N x 1434, NaN rows without a face), the least expressive window of window_ms is used instead;
    without meshes a ValueError is raised.
    """
    time_ms = np.asarray(time_ms, dtype=float)
    mask = np.zeros(len(time_ms), dtype=bool)
    if len(stimuli):
        onset, offset = stimulus_periods(stimuli)
        emotional = np.asarray(stimuli.sort_values("onset_ms", kind="stable")["stimulus_emotion"] != "neutral")
        inside = (time_ms[:, None] >= onset) & (time_ms[:, None] < offset)
        settling = (time_ms[:, None] >= offset) & (time_ms[:, None] < offset + settle_ms)
        neutral_early = inside & ~emotional & (time_ms[:, None] < onset + settle_ms)
        in_emotional = (inside & emotional).any(1)
        mask = ~in_emotional & ~(settling & emotional).any(1) & ~neutral_early.any(1) & (time_ms < offset.max())
    if mesh is not None:
        mask &= ~np.isnan(np.asarray(mesh)).any(1)
    if mask.sum() >= min_frames:
        return mask
    if mesh is None:
        raise ValueError(f"only {mask.sum()} neutral frames from the stimulus log (need {min_frames}); "
                         "pass the meshes to use the least expressive stretch instead")
    return least_expressive(time_ms, np.asarray(mesh), window_ms)


def least_expressive(time_ms: np.ndarray, mesh: np.ndarray, window_ms: float = 2000.0) -> np.ndarray:
    """Mask of the window_ms stretch whose face frames lie closest (mean distance) to the median mesh."""
    valid = ~np.isnan(mesh).any(1)
    if not valid.any():
        return np.zeros(len(time_ms), dtype=bool)
    dist = np.full(len(time_ms), np.inf)
    dist[valid] = np.linalg.norm(mesh[valid] - np.median(mesh[valid], axis=0), axis=1)
    starts = np.searchsorted(time_ms, time_ms, side="left")
    ends = np.searchsorted(time_ms, time_ms + window_ms, side="left")
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, dist, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(valid)])
    counts = ccount[ends] - ccount[starts]
    mean = np.where(counts > 0, (csum[ends] - csum[starts]) / np.maximum(counts, 1), np.inf)
    best = int(np.argmin(mean))
    return (np.arange(len(time_ms)) >= starts[best]) & (np.arange(len(time_ms)) < ends[best]) & valid
