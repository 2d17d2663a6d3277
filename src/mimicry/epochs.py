"""Stimulus alignment, baseline correction and per-stimulus reaction features.

Times are milliseconds: ``onset_ms`` and ``duration_ms`` count from the start of the participant's
recording; inside an epoch ``time_ms`` counts from the stimulus onset (negative in the pre-stimulus
blank). Reaction scores are 0-100; after baseline correction they are differences from the baseline in
score points (-100 to 100). Coverage values are fractions 0-1.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mimicry.io import atomic_path
from mimicry.names import FRAME_COLUMNS, OPTIONAL_FRAME_COLUMNS, POSE, REACTIONS, STIMULUS_EMOTION_CODES

#: Columns of one participant's stimulus log (stimuli.tsv without the sheet's bookkeeping).
STIMULUS_COLUMNS = ["participant_id", "stimulus", "stimulus_emotion", "identity", "block", "onset_ms", "duration_ms"]
#: Baseline corrections: none (the study), the pre-stimulus blank's median, the neutral faces' median.
BASELINES = ("none", "pre_blank_median", "neutral_median")
#: Parts of an epoch: the blank before the face, the face on screen, the blank after it.
PHASES = ("pre", "stimulus", "post")
#: The stimulus emotion whose presentations form the neutral_median baseline.
NEUTRAL = "neutral"

#: results/reactions/{participant}.parquet: one row per stimulus x reaction x window.
REACTION_SCHEMA = pa.schema(
    [
        ("participant_id", pa.string()),
        ("stimulus", pa.string()),
        ("stimulus_emotion", pa.string()),
        ("identity", pa.string()),
        ("block", pa.int64()),
        ("reaction", pa.string()),
        ("window", pa.string()),
        ("baseline", pa.string()),
        ("max", pa.float64()),
        ("mean", pa.float64()),
        ("peak_latency_ms", pa.float64()),
        ("pre_median", pa.float64()),
        ("n_frames", pa.int64()),
        ("coverage", pa.float64()),
    ]
)
#: results/timecourses/{participant}.parquet: binned mean of a reaction per stimulus.
TIMECOURSE_SCHEMA = pa.schema(
    [
        ("participant_id", pa.string()),
        ("stimulus", pa.string()),
        ("stimulus_emotion", pa.string()),
        ("reaction", pa.string()),
        ("baseline", pa.string()),
        ("time_ms", pa.float64()),
        ("value", pa.float64()),
    ]
)

_EMOTION_OF_CODE = {code: emotion for emotion, code in STIMULUS_EMOTION_CODES.items()}
#: KDEF file names: session A/B, female/male, two-digit identity, emotion code, camera angle; an image
#: extension is allowed (AF01HAS, BM13SUS.JPG).
_KDEF = re.compile(
    r"^(?P<identity>[AB][FM]\d{2})(?P<code>" + "|".join(_EMOTION_OF_CODE) + r")(?P<angle>FL|FR|HL|HR|S)"
    r"(?:\.(?:jpe?g|png|bmp|tiff?))?$",
    re.IGNORECASE,
)


def read_frames(path, participant_id: str) -> pd.DataFrame:
    """Read results/frames/{participant}.parquet: the FRAME_COLUMNS, plus the OPTIONAL_FRAME_COLUMNS present.

    Raises ValueError naming the file and participant when columns are missing or time_ms decreases.
    """
    names = pq.read_schema(path).names
    missing = [c for c in FRAME_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"{path}: frames of participant {participant_id} lack column(s) {', '.join(missing)}")
    columns = [*FRAME_COLUMNS, *(c for c in OPTIONAL_FRAME_COLUMNS if c in names)]
    frames = pq.read_table(path, columns=columns).to_pandas()
    frames["face"] = frames["face"].fillna(False).astype(bool)
    back = np.flatnonzero(np.diff(frames["time_ms"].to_numpy(float)) < 0)
    if len(back):
        row = back[0] + 1
        raise ValueError(
            f"{path}: participant {participant_id}, row {row} (frame {frames['frame'].iloc[row]}): time_ms goes back "
            f"from {frames['time_ms'].iloc[row - 1]:g} to {frames['time_ms'].iloc[row]:g} ms; frames must be in time order"
        )
    return frames


def frame_interval_ms(time_ms) -> float:
    """The recording's frame interval, ms: the median of the positive steps between frame times; NaN
    without two frames at different times (e.g. the empty frames of a failed extraction)."""
    steps = np.diff(np.asarray(time_ms, dtype=float))
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else np.nan


def stimuli_from_names(participant_id: str, time_ms, names) -> pd.DataFrame:
    """Stimulus rows (STIMULUS_COLUMNS) from a per-frame stimulus-name column (an iMotions StimulusName).

    A presentation is a run of consecutive frames carrying the same KDEF name (e.g. AF01HAS, which gives
    identity AF01 and emotion happy via STIMULUS_EMOTION_CODES); frames with any other name (blank, empty,
    questionnaire) lie between presentations. onset_ms is the time of the run's first frame; the
    presentation lasts until the first frame after the run (for a run that ends the recording: its last
    frame plus one frame interval). Blocks number the identities in order of first appearance, as the study
    showed one identity per block. Raises ValueError when a stimulus is shown twice.
    """
    time_ms = np.asarray(time_ms, dtype=float)
    names = pd.Series(names, dtype=object).fillna("").astype(str).str.strip().to_numpy()
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    ends = np.r_[starts[1:], len(names)]
    rows = []
    for start, end in zip(starts, ends):
        match = _KDEF.match(names[start])
        if not match:
            continue
        identity, code = match["identity"].upper(), match["code"].upper()
        stop = time_ms[end] if end < len(names) else time_ms[end - 1] + frame_interval_ms(time_ms)
        rows.append(
            {
                "participant_id": participant_id,
                "stimulus": (identity + code + match["angle"]).upper(),
                "stimulus_emotion": _EMOTION_OF_CODE[code],
                "identity": identity,
                "onset_ms": time_ms[start],
                "duration_ms": stop - time_ms[start],
            }
        )
    stimuli = pd.DataFrame(rows, columns=[c for c in STIMULUS_COLUMNS if c != "block"])
    blocks = {identity: i for i, identity in enumerate(stimuli["identity"].unique(), start=1)}
    stimuli.insert(4, "block", stimuli["identity"].map(blocks).astype("int64"))
    return _check_unique(stimuli, participant_id, "the frames' stimulus column")


def _check_unique(stimuli: pd.DataFrame, participant_id: str, source: str) -> pd.DataFrame:
    repeated = stimuli[stimuli["stimulus"].duplicated(keep=False)]
    if len(repeated):
        shown = "; ".join(
            f"{name} at {', '.join(f'{t:g}' for t in group['onset_ms'])} ms"
            for name, group in repeated.groupby("stimulus", sort=False)
        )
        raise ValueError(f"participant {participant_id}: {source} shows a stimulus more than once ({shown}); "
                         "each stimulus may be presented once")
    return stimuli


def participant_stimuli(participant_id: str, sheet: pd.DataFrame, frames: pd.DataFrame) -> pd.DataFrame:
    """The participant's stimulus log, in onset order: their rows of stimuli.tsv (``sheet``) when there are
    any, else the presentations found in the frames' ``stimulus`` column (an iMotions export).

    Raises ValueError naming the participant when neither source has a presentation.
    """
    rows = sheet[sheet["participant_id"] == participant_id]
    if len(rows):
        stimuli = _check_unique(rows[STIMULUS_COLUMNS], participant_id, "stimuli.tsv")
    elif "stimulus" in frames:
        stimuli = stimuli_from_names(participant_id, frames["time_ms"], frames["stimulus"])
    else:
        stimuli = rows[STIMULUS_COLUMNS]
    if stimuli.empty:
        raise ValueError(
            f"participant {participant_id}: no stimulus presentations: no rows in stimuli.tsv and no KDEF "
            "stimulus names in a stimulus column of the frames; add the participant's rows to stimuli.tsv"
        )
    return stimuli.sort_values("onset_ms", kind="stable").reset_index(drop=True).astype({"block": "int64"})


def stimulus_digests(sheet: pd.DataFrame) -> dict[str, str]:
    """sha256 of each participant's rows of stimuli.tsv, so a rule re-runs only when those rows change."""
    return {
        pid: hashlib.sha256(rows[STIMULUS_COLUMNS].to_csv(index=False).encode()).hexdigest()
        for pid, rows in sheet.groupby("participant_id", sort=False)
    }


def epoch_bounds(stimuli: pd.DataFrame, pre_blank_ms: float, post_blank_ms: float) -> pd.DataFrame:
    """Per stimulus (index), the times (ms from recording start) that cut its epoch into phases.

    pre_start: the pre-stimulus blank starts pre_blank_ms before onset but never before the previous
    stimulus's offset; post_end: the post-stimulus blank lasts post_blank_ms but ends at the next onset.
    """
    onset = stimuli["onset_ms"].to_numpy(float)
    offset = onset + stimuli["duration_ms"].to_numpy(float)
    return pd.DataFrame(
        {
            "pre_start": np.maximum(np.r_[-np.inf, offset[:-1]], onset - pre_blank_ms),
            "onset": onset,
            "offset": offset,
            "post_end": np.minimum(np.r_[onset[1:], np.inf], offset + post_blank_ms),
        },
        index=pd.Index(stimuli["stimulus"], name="stimulus"),
    )


def epochs(frames: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """The frames of every epoch, time re-expressed as ms since the stimulus onset.

    ``bounds`` comes from epoch_bounds. One row per stimulus x frame: stimulus, phase (pre | stimulus |
    post), time_ms (since onset), face, face_score, the reactions, the head pose and lower_face_changed when the
    frames have it. A blank frame can
    belong to the post phase of one stimulus and the pre phase of the next.
    """
    time_ms = frames["time_ms"].to_numpy(float)
    values = frames[["face", "face_score", *REACTIONS, *POSE, *(["lower_face_changed"] if "lower_face_changed" in frames else [])]]
    pieces = []
    for stimulus, row in bounds.iterrows():
        edges = np.searchsorted(time_ms, [row.pre_start, row.onset, row.offset, row.post_end], side="left")
        rows = np.arange(edges[0], edges[3])
        head = pd.DataFrame(
            {
                "stimulus": stimulus,
                "phase": np.repeat(PHASES, np.diff(edges)),
                "time_ms": time_ms[rows] - row.onset,
            }
        )
        pieces.append(pd.concat([head, values.iloc[rows].reset_index(drop=True)], axis=1))
    table = pd.concat(pieces, ignore_index=True)
    table["phase"] = pd.Categorical(table["phase"], categories=PHASES)
    return table


def expected_frames(n_rows: int, span_ms: float, interval_ms: float) -> int:
    """Frames a time span should hold: the larger of the rows present and span_ms / interval_ms, so that
    frames missing from the table (dropped, or past the end of the recording) still count. With an
    unknown (NaN) interval, the rows present."""
    return max(int(n_rows), round(span_ms / interval_ms)) if interval_ms > 0 else int(n_rows)


def coverage(face, span_ms: float, interval_ms: float) -> float:
    """Fraction (0-1) of a time span's frames (expected_frames) that have a face; 0 for an empty span."""
    face = np.asarray(face, dtype=bool)
    expected = expected_frames(len(face), span_ms, interval_ms)
    return float(face.sum() / expected) if expected else 0.0


def baselines(
    table: pd.DataFrame, bounds: pd.DataFrame, stimuli: pd.DataFrame, mode: str, min_coverage: float,
    interval_ms: float,
) -> pd.DataFrame:
    """The value subtracted from each reaction of each stimulus (index stimulus, columns REACTIONS).

    ``table`` comes from epochs(). Modes: ``none`` 0 (the study's default); ``pre_blank_median`` the
    median of the face frames in that stimulus's pre-stimulus blank; ``neutral_median`` the median of the
    face frames while the participant's neutral faces were on screen (one value per reaction for all
    stimuli). A baseline whose frames have a face for less than ``min_coverage`` of their time is NaN, so
    the corrected features are NaN too. Raises ValueError for neutral_median without neutral stimuli.
    """
    if mode not in BASELINES:
        raise ValueError(f"unknown baseline {mode!r}; expected one of {', '.join(BASELINES)}")
    index = pd.Index(stimuli["stimulus"], name="stimulus")
    if mode == "none":
        return pd.DataFrame(0.0, index=index, columns=list(REACTIONS))
    if mode == "pre_blank_median":
        pre = table[table["phase"] == "pre"]
        rows = {
            s: _median_if_covered(pre[pre["stimulus"] == s], b.onset - b.pre_start, min_coverage, interval_ms)
            for s, b in bounds.iterrows()
        }
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(REACTIONS)).reindex(index)
    neutral = stimuli[stimuli["stimulus_emotion"] == NEUTRAL]
    if neutral.empty:
        raise ValueError(
            f"participant {stimuli['participant_id'].iloc[0]}: baseline neutral_median needs neutral stimuli and "
            "there are none; choose epochs.baseline pre_blank_median or none"
        )
    shown = table[(table["phase"] == "stimulus") & table["stimulus"].isin(neutral["stimulus"])]
    median = _median_if_covered(shown, neutral["duration_ms"].sum(), min_coverage, interval_ms)
    return pd.DataFrame([median] * len(index), index=index, columns=list(REACTIONS))


def _median_if_covered(rows: pd.DataFrame, span_ms: float, min_coverage: float, interval_ms: float) -> pd.Series:
    if coverage(rows["face"], span_ms, interval_ms) < min_coverage:
        return pd.Series(np.nan, index=list(REACTIONS))
    return rows.loc[rows["face"], list(REACTIONS)].median()


def window_span(window: dict, duration_ms: float) -> tuple[float, float]:
    """A window's [start, end) in ms since onset, clipped to the presentation (end_ms absent = offset)."""
    end = window.get("end_ms")
    return float(window["start_ms"]), float(duration_ms if end is None else min(end, duration_ms))


def reaction_features(
    table: pd.DataFrame, stimuli: pd.DataFrame, base: pd.DataFrame, windows: list[dict], min_coverage: float,
    interval_ms: float, baseline: str, pre: pd.DataFrame,
) -> pd.DataFrame:
    """Per stimulus x reaction x window: max, mean and peak latency of the baseline-corrected reaction.

    ``table`` from epochs(), ``base`` from baselines(), ``windows`` a list of {name, start_ms, end_ms
    (optional)} in ms since onset, clipped to the presentation, ``pre`` the pre-stimulus medians (baselines()
    in mode pre_blank_median). Statistics use the window's face frames (``n_frames`` of them);
    ``peak_latency_ms`` is the time since onset of the first frame at the max; ``pre_median`` is the
    reaction's median in the stimulus's pre-stimulus blank, corrected by the same baseline (so a reaction
    rose above its pre-stimulus level by ``max - pre_median`` points).
    ``coverage`` is the fraction of the window's frames with a face (see coverage()); below
    ``min_coverage`` max, mean and peak latency are NaN, never statistics of whatever frames remain.
    Returns a long DataFrame with the columns of REACTION_SCHEMA.
    """
    shown = table[table["phase"] == "stimulus"]
    blocks = []
    for stim in stimuli.itertuples(index=False):
        frames = shown[shown["stimulus"] == stim.stimulus]
        for window in windows:
            start, end = window_span(window, stim.duration_ms)
            inside = frames[(frames["time_ms"] >= start) & (frames["time_ms"] < end)]
            face = inside["face"].to_numpy(bool)
            cover = coverage(face, max(end - start, 0.0), interval_ms)
            offset = base.loc[stim.stimulus].to_numpy(float)
            values = inside.loc[face, list(REACTIONS)].to_numpy(float) - offset
            stats = _window_stats(values, inside["time_ms"].to_numpy(float)[face])
            if cover < min_coverage:
                stats[:] = np.nan
            blocks.append(
                pd.DataFrame(
                    {
                        "participant_id": stim.participant_id, "stimulus": stim.stimulus,
                        "stimulus_emotion": stim.stimulus_emotion, "identity": stim.identity, "block": stim.block,
                        "reaction": REACTIONS, "window": window["name"], "baseline": baseline,
                        "max": stats[0], "mean": stats[1], "peak_latency_ms": stats[2],
                        "pre_median": pre.loc[stim.stimulus].to_numpy(float) - offset,
                        "n_frames": int(face.sum()), "coverage": cover,
                    }
                )
            )
    return pd.concat(blocks, ignore_index=True)[REACTION_SCHEMA.names]


def _window_stats(values: np.ndarray, time_ms: np.ndarray) -> np.ndarray:
    """Rows max, mean, peak latency (ms) per column of ``values`` (frames x reactions), NaN-aware."""
    stats = np.full((3, values.shape[1]), np.nan)
    seen = ~np.isnan(values).all(axis=0) if len(values) else np.zeros(values.shape[1], bool)
    if seen.any():
        stats[0, seen] = np.nanmax(values[:, seen], axis=0)
        stats[1, seen] = np.nanmean(values[:, seen], axis=0)
        stats[2, seen] = time_ms[np.nanargmax(values[:, seen], axis=0)]
    return stats


def timecourses(
    table: pd.DataFrame, stimuli: pd.DataFrame, base: pd.DataFrame, reactions: list[str], bin_ms: float,
    baseline: str,
) -> pd.DataFrame:
    """Mean baseline-corrected reaction per stimulus in bins of ``bin_ms`` over the whole epoch.

    ``time_ms`` is the bin's start in ms since onset (negative bins: the pre-stimulus blank; bins past the
    duration: the post-stimulus blank). Only face frames count; bins without any are left out. Returns a
    long DataFrame with the columns of TIMECOURSE_SCHEMA.
    """
    faces = table[table["face"]]
    corrected = faces[reactions].to_numpy(float) - base.loc[faces["stimulus"], reactions].to_numpy(float)
    binned = pd.DataFrame(corrected, columns=reactions).assign(
        stimulus=faces["stimulus"].to_numpy(), time_ms=np.floor(faces["time_ms"].to_numpy() / bin_ms) * bin_ms
    )
    means = binned.groupby(["stimulus", "time_ms"], sort=False)[reactions].mean()
    long = means.reset_index().melt(id_vars=["stimulus", "time_ms"], var_name="reaction", value_name="value")
    long = long.dropna(subset=["value"]).merge(stimuli[["participant_id", "stimulus", "stimulus_emotion"]])
    long["baseline"] = baseline
    return long.sort_values(["stimulus", "reaction", "time_ms"], kind="stable")[TIMECOURSE_SCHEMA.names]


def participant_reactions(
    frames: pd.DataFrame, stimuli: pd.DataFrame, *, pre_blank_ms: float, post_blank_ms: float, baseline: str,
    min_coverage: float, windows: list[dict], timecourse_reactions: list[str], bin_ms: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One participant's reaction features and time courses (see reaction_features and timecourses)."""
    bounds = epoch_bounds(stimuli, pre_blank_ms, post_blank_ms)
    table = epochs(frames, bounds)
    interval = frame_interval_ms(frames["time_ms"])
    base = baselines(table, bounds, stimuli, baseline, min_coverage, interval)
    pre = baselines(table, bounds, stimuli, "pre_blank_median", min_coverage, interval)
    return (
        reaction_features(table, stimuli, base, windows, min_coverage, interval, baseline, pre),
        timecourses(table, stimuli, base, timecourse_reactions, bin_ms, baseline),
    )


def write_parquet(df: pd.DataFrame, path, schema: pa.Schema) -> None:
    """Write ``df`` with exactly ``schema`` (so per-participant files combine into one dataset), atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), tmp)


def stimuli_past_end(frames: pd.DataFrame, stimuli: pd.DataFrame) -> list[str]:
    """Messages for presentations that end after the recording's last frame (times in ms).

    Their frames past the end count as missing, so the coverage rule decides whether they get features.
    """
    end_ms = frames["time_ms"].max() if len(frames) else 0.0
    late = stimuli[stimuli["onset_ms"] + stimuli["duration_ms"] > end_ms]
    return [
        f"stimulus {row.stimulus} ({row.onset_ms:g}-{row.onset_ms + row.duration_ms:g} ms) ends after the "
        f"recording's last frame ({end_ms:g} ms); frames past the end count as missing (coverage)"
        for row in late.itertuples()
    ]
