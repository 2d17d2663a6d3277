"""Recording quality per participant: metrics from the frames, an automatic grade 0-3 and its reasons.

The grades follow the study's manual scale: 0 good; 1 minor issues (head supported by a hand, lips
sometimes covered); 2 major issues (talking, eating, drinking, hands over most of the face); 3 no facial
data (camera off). Every graded metric is "higher is worse": config ``quality.limits`` gives per metric
the value above which it earns grade 1 (``minor``), 2 (``major``) or 3 (``unusable``); the automatic
grade is the highest grade earned. A manual grade (participants.tsv quality_manual) always wins.

Stimulus metrics use the frames while a face stimulus is on screen; the talking/eating proxy uses the
blanks after the stimuli (the face frames up to ``post_blank_ms`` after each offset). Fractions are 0-1,
times ms, angles degrees, scores 0-100 as in the frames table.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from mimicry.epochs import epoch_bounds, epochs, expected_frames, frame_interval_ms
from mimicry.io import atomic_path
from mimicry.names import POSE

#: Grade earned by exceeding each kind of limit.
LEVELS = {"minor": 1, "major": 2, "unusable": 3}

#: Graded metrics: name -> (what a reason says, with {value}; unit of the value).
GRADED = {
    "face_missing_fraction": ("face missing {value} of stimulus time", "fraction"),
    "longest_gap_ms": ("face lost for {value} within one presentation", "ms"),
    "low_score_fraction": ("face score low (occlusion) in {value} of stimulus face frames", "fraction"),
    "mouth_missing_fraction": ("no mouth signals in {value} of stimulus face frames", "fraction"),
    "mouth_covered_fraction": ("mouth covered (occlusion: a hand or object over the mouth, nose or chin) in {value} of stimulus face frames",
                               "fraction"),
    "longest_covered_ms": ("mouth covered (occlusion: a hand or object over the mouth, nose or chin) for {value} within one presentation", "ms"),
    "blank_mouth_moving_fraction": ("mouth moving (talking, eating) in {value} of blank face frames", "fraction"),
    "yaw_p95_deg": ("head turned by {value} (95th percentile of |yaw|)", "deg"),
    "pitch_p95_deg": ("head tilted up or down by {value} (95th percentile of |pitch|)", "deg"),
    "roll_p95_deg": ("head tilted sideways by {value} (95th percentile of |roll|)", "deg"),
}
#: All metrics, in the column order of results/quality.tsv (face scores are reported, not graded).
METRICS = ("n_stimuli", "face_score_median", "face_score_p05", *GRADED)
_FORMATS = {"fraction": "{:.0%}", "ms": "{:.0f} ms", "deg": "{:.0f} deg"}


def quality_metrics(
    frames: pd.DataFrame, stimuli: pd.DataFrame, *, occlusion_score: float, lower_face_covered: float,
    mouth: list[str], mouth_window_ms: float, mouth_min_swing: float, mouth_min_cycles: int,
    post_blank_ms: float,
) -> dict:
    """Quality metrics of one participant's recording (the keys of METRICS).

    ``frames``: the participant's frames table (mimicry.epochs.read_frames); ``stimuli``: their stimulus
    log (mimicry.epochs.participant_stimuli).

    - face_missing_fraction: 1 - the fraction of stimulus frames with a face (frames absent from the
      table count as missing, see mimicry.epochs.coverage).
    - longest_gap_ms: the longest stretch without a face inside one presentation.
    - face_score_median, face_score_p05: the face score (0-1) of stimulus face frames.
    - low_score_fraction: stimulus face frames whose face score is below ``occlusion_score`` (a hand, a
      cup or hair over the face lowers the detector's confidence).
    - mouth_missing_fraction: stimulus face frames where every ``mouth`` reaction is NaN.
    - mouth_covered_fraction: stimulus face frames whose lower face changed (``lower_face_changed``, the
      fraction of its cells whose edges differ from the participant's usual ones) by at least
      ``lower_face_covered`` (``covered_frames``); None without that column (engine exports).
    - longest_covered_ms: the longest stretch of covered face frames inside one presentation (None as above).
    - blank_mouth_moving_fraction: blank face frames whose mouth opening (the largest of the ``mouth``
      reactions) opens and closes at least ``mouth_min_cycles`` times (swings of at least ``mouth_min_swing``
      score points) within a centred ``mouth_window_ms`` window (``mouth_moving``): talking and chewing open
      and close the mouth at the syllable rate, an expression rises once.
    - yaw_p95_deg, pitch_p95_deg, roll_p95_deg: 95th percentile of the absolute head angle.
    Metrics without frames to measure are None (and grade nothing); a recording without frames (e.g. the
    empty frames of a failed extraction with extraction.on_error: empty) misses the face all the time.
    """
    interval = frame_interval_ms(frames["time_ms"])
    table = epochs(frames, epoch_bounds(stimuli, 0.0, post_blank_ms))
    shown = table[table["phase"] == "stimulus"]
    faces = shown[shown["face"]]
    per_stimulus = shown.groupby("stimulus", sort=False)["face"].agg(["size", "sum"]).reindex(stimuli["stimulus"], fill_value=0)
    expected = sum(expected_frames(n, d, interval) for n, d in zip(per_stimulus["size"], stimuli["duration_ms"]))
    gaps = [
        _longest_gap(faces.loc[faces["stimulus"] == s, "time_ms"].to_numpy(), d, interval)
        for s, d in zip(stimuli["stimulus"], stimuli["duration_ms"])
    ]
    metrics = {
        "n_stimuli": len(stimuli),
        "face_score_median": faces["face_score"].median(),
        "face_score_p05": faces["face_score"].quantile(0.05),
        "face_missing_fraction": 1.0 - per_stimulus["sum"].sum() / expected if expected else 1.0,
        "longest_gap_ms": max(gaps),
        "low_score_fraction": _fraction(faces["face_score"] < occlusion_score),
        "mouth_missing_fraction": _fraction(faces[mouth].isna().all(axis=1)),
        **_covered(stimuli, shown, interval, lower_face_covered),
        "blank_mouth_moving_fraction": _mouth_moving(table, mouth, mouth_window_ms, mouth_min_swing, mouth_min_cycles),
    }
    for angle in POSE:
        metrics[f"{angle}_p95_deg"] = faces[angle].abs().quantile(0.95)
    return {name: _plain(metrics[name]) for name in METRICS}


def covered_frames(frames: pd.DataFrame, lower_face_covered: float) -> pd.Series | None:
    """Face frames whose mouth, nose or chin is covered (boolean Series on ``frames``' index): at least
    ``lower_face_covered`` (0-1) of the lower face changed from the participant's usual edges
    (``lower_face_changed``, mimicry.face.occlusion). None when the frames lack that column (engine exports)."""
    if "lower_face_changed" not in frames:
        return None
    return frames["face"].astype(bool) & (frames["lower_face_changed"] >= lower_face_covered)


def _covered(stimuli: pd.DataFrame, shown: pd.DataFrame, interval_ms: float, lower_face_covered: float) -> dict:
    """mouth_covered_fraction and longest_covered_ms of the stimulus frames ``shown`` (an epochs table)."""
    covered = covered_frames(shown, lower_face_covered)
    if covered is None:
        return {"mouth_covered_fraction": math.nan, "longest_covered_ms": math.nan}
    visible = shown[~covered]  # the covered runs are the stretches between these frames
    runs = [_longest_gap(visible.loc[visible["stimulus"] == s, "time_ms"].to_numpy(), d, interval_ms)
            for s, d in zip(stimuli["stimulus"], stimuli["duration_ms"])]
    return {"mouth_covered_fraction": _fraction(covered[shown["face"]]), "longest_covered_ms": max(runs)}


def _longest_gap(face_ms: np.ndarray, duration_ms: float, interval_ms: float) -> float:
    """Longest stretch in [0, duration_ms) without any of the frames whose times (ms since onset) are given
    (e.g. the face frames: the longest faceless stretch); a frame covers one frame interval (none when the
    interval is unknown). In ms, rounded to the microsecond: frame times such as 66.67 ms leave float
    residues of 1e-11 ms."""
    step = interval_ms if interval_ms > 0 else 0.0
    edges = np.r_[-step, np.sort(face_ms), duration_ms]
    return round(float(max(np.diff(edges).max() - step, 0.0)), 3)


def _fraction(flags: pd.Series) -> float:
    return float(flags.mean()) if len(flags) else math.nan


def turning_points(opening: np.ndarray, min_swing: float) -> tuple[np.ndarray, np.ndarray]:
    """The alternating extremes of a signal between which it swings by at least ``min_swing`` (hysteresis).

    ``opening``: samples in time order (score points, no NaN). An extreme counts once the signal has moved
    ``min_swing`` away from it, so wiggles smaller than that (frame-to-frame noise) never make one; the last
    extreme reached (the end of the last swing) counts too. Returns (positions into ``opening``, kinds: +1 a
    peak, -1 a trough), alternating in time; empty when the signal never swings by ``min_swing``.
    """
    positions, kinds = [], []
    low = high = 0
    direction = 0  # +1 rising (the candidate extreme is the peak ``high``), -1 falling (the trough ``low``)
    for i, value in enumerate(opening):
        if direction == 0:  # before the first swing: its start is the first extreme
            high, low = (i if value > opening[high] else high), (i if value < opening[low] else low)
            if opening[high] - opening[low] >= min_swing:
                direction = 1 if high > low else -1
                positions.append(min(low, high)), kinds.append(-direction)
        elif direction == 1:
            if value > opening[high]:
                high = i
            elif opening[high] - value >= min_swing:
                positions.append(high), kinds.append(1)
                direction, low = -1, i
        elif value < opening[low]:
            low = i
        elif value - opening[low] >= min_swing:
            positions.append(low), kinds.append(-1)
            direction, high = 1, i
    if direction:
        positions.append(high if direction == 1 else low), kinds.append(direction)
    return np.asarray(positions, int), np.asarray(kinds, int)


def mouth_moving(time_ms, opening, *, window_ms: float, min_swing: float, min_cycles: int) -> np.ndarray:
    """Per frame, whether the mouth opens and closes repeatedly (talking, chewing) around it (boolean array).

    ``opening``: the mouth opening per frame (score points 0-100; NaN where there is no face, ignored);
    ``time_ms``: the frames' times (ms, increasing; NaN rows ignored). An open-close cycle is a peak with a
    trough on each side (``turning_points``: each swing at least ``min_swing`` points); a frame is moving when
    at least ``min_cycles`` whole cycles (trough, peak, trough) lie inside the centred ``window_ms`` window.
    A single rise (an expression's onset) makes no cycle, a rise and fall (a brief expression) one.
    """
    time_ms, opening = np.asarray(time_ms, float), np.asarray(opening, float)
    valid = np.flatnonzero(~np.isnan(time_ms) & ~np.isnan(opening))
    out = np.zeros(len(opening), bool)
    points, kinds = turning_points(opening[valid], min_swing)
    t = time_ms[valid][points]
    peaks = np.flatnonzero(kinds[1:-1] == 1) + 1 if len(kinds) > 2 else np.array([], int)
    first, last = t[peaks - 1], t[peaks + 1]  # the troughs on either side of each peak, ms (both increasing)
    now = time_ms[valid]
    # the cycles starting in the window are a suffix of the list, those ending in it a prefix
    starting = np.searchsorted(first, now - window_ms / 2, side="left")
    ending = np.searchsorted(last, now + window_ms / 2, side="right")
    out[valid] = ending - starting >= min_cycles
    return out


def _mouth_moving(table: pd.DataFrame, mouth: list[str], window_ms: float, min_swing: float, min_cycles: int) -> float:
    """blank_mouth_moving_fraction: the fraction of the blanks' face frames (``post`` phases) that are
    mouth_moving, each blank on its own."""
    blank = table[(table["phase"] == "post") & table["face"]]
    flags = [mouth_moving(rows["time_ms"], rows[mouth].max(axis=1), window_ms=window_ms, min_swing=min_swing,
                          min_cycles=min_cycles) for _, rows in blank.groupby("stimulus", sort=False)]
    return float(np.concatenate(flags).mean()) if flags else math.nan


def _plain(value):
    """A JSON-friendly number: int stays int, NaN becomes None."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if math.isnan(value) else value


def grade(metrics: dict, limits: dict) -> tuple[int, list[str]]:
    """The automatic grade 0-3 and one reason per metric that exceeds a limit, worst first.

    ``limits``: {metric: {minor|major|unusable: value}}; a metric strictly above a limit earns that
    level's grade, and each metric reports only its highest level, e.g. "face missing 38% of stimulus
    time (limit 10% for grade 2)". A missing (None) metric earns nothing.
    """
    found = []
    for name, levels in limits.items():
        value = metrics[name]
        earned = [(LEVELS[level], limit) for level, limit in levels.items() if value is not None and value > limit]
        if earned:
            level, limit = max(earned)
            text, unit = GRADED[name]
            fmt = _FORMATS[unit].format
            found.append((level, f"{text.format(value=fmt(value))} (limit {fmt(limit)} for grade {level})"))
    found.sort(key=lambda item: -item[0])
    return max((level for level, _ in found), default=0), [reason for _, reason in found]


def write_json(record: dict, path) -> None:
    """Write one participant's quality record (results/quality/{participant}.json), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def read_json(path) -> dict:
    """One participant's quality record (results/quality/{participant}.json), as ``write_json`` wrote it."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def quality_table(records: list[dict], participants: pd.DataFrame) -> pd.DataFrame:
    """results/quality.tsv: participant_id, METRICS, auto_grade, manual_grade, final_grade, reason.

    ``records``: the participants' JSON records ({participant_id, metrics, auto_grade, reasons});
    ``participants``: the sheet (quality_manual as nullable Int64). The final grade is the manual grade
    where there is one, else the automatic grade; the reason says which and why.
    """
    table = pd.DataFrame(
        [{"participant_id": r["participant_id"], **r["metrics"], "auto_grade": r["auto_grade"],
          "auto_reason": "; ".join(r["reasons"]) or "all metrics within limits"} for r in records]
    )
    manual = participants.set_index("participant_id")["quality_manual"].astype("Int64")
    table["manual_grade"] = table["participant_id"].map(manual).astype("Int64")
    overridden = table["manual_grade"].notna()
    table["final_grade"] = table["manual_grade"].fillna(table["auto_grade"]).astype(int)
    table["reason"] = table["auto_reason"].where(
        ~overridden,
        "manual grade " + table["manual_grade"].astype(str) + " (participants.tsv quality_manual) overrides automatic grade "
        + table["auto_grade"].astype(str) + ": " + table["auto_reason"],
    )
    return table[["participant_id", *METRICS, "auto_grade", "manual_grade", "final_grade", "reason"]]
