"""Engine exports -> the frame table (``mimicry.names.FRAME_COLUMNS``), so every later stage works the same.

Researchers who already ran a facial-coding engine bring its export instead of the video. Each reader
returns one row per video frame the engine analysed: participant_id, frame (0-based, in file order),
time_ms (ms from the start of the recording), face (bool), face_score (0-1), the 20 expressions and
7 emotions on 0-100 scales, and pitch/yaw/roll in degrees. What an engine does not measure is NaN, and
so is everything in frames without a face. iMotions exports keep ``stimulus`` (StimulusName).

Scale conversions (docs/importers.md lists what each engine lacks):

- iMotions AFFDEX and Affectiva's own output: expression and emotion scores are already 0-100
  (classifier likelihoods); kept as they are.
- iMotions FACET (Emotient) ``Evidence`` columns: log10 odds that the AU / emotion is present;
  converted to a 0-100 probability, 100 / (1 + 10^-evidence) (evidence 0 -> 50, +1 -> 90.9).
- OpenFace 2.x ``AUxx_r``: intensity 0-5 (FACS A-E) -> x 20. AUs with only a presence column
  ``AUxx_c`` (0/1; AU28) -> x 100. OpenFace has no AU43: eye_closure uses AU45_r (blink: how far the
  eyelids are closed). Head rotation ``pose_Rx/Ry/Rz`` radians -> degrees (pitch, yaw, roll).
  ``confidence`` is face_score; ``success`` is face.
- py-feat CSV: AU and emotion columns are 0-1 -> x 100; happiness is joy. Its CSV has frame numbers but
  no times: time_ms = frame * 1000 / fps with ``fps`` given (config extraction.export_fps).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from mimicry.names import EMOTIONS, EXPRESSION_INFO, FRAME_COLUMNS, POSE, REACTIONS, display_name

ENGINES = ("imotions", "openface", "pyfeat")


class ExportError(ValueError):
    """An engine export cannot be read; the message names participant, file and what is wrong."""


def _au_number(facs: str) -> int | None:
    """'AU4' -> 4; unilateral codes ('unilateral AU12') and others -> None."""
    match = re.fullmatch(r"AU(\d+)", facs)
    return int(match.group(1)) if match else None


#: expression -> FACS action unit number (bilateral AUs only; smirk is unilateral AU12).
EXPRESSION_AUS = {name: n for name, (_, facs) in EXPRESSION_INFO.items() if (n := _au_number(facs)) is not None}


def _key(name: str) -> str:
    """Column-name key that matches 'Brow Furrow', 'browFurrow' and 'brow_furrow' alike."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _frame_table(participant: str, time_ms, face, scores: dict, *, frame=None, face_score=None, pose=None,
                 stimulus=None) -> pd.DataFrame:
    """Assemble a frame table; ``scores`` maps reaction -> 0-100 values, ``pose`` pitch/yaw/roll -> degrees.

    Reactions or pose angles not given become NaN; rows without a face get NaN scores, pose and
    face_score. ``frame`` defaults to 0, 1, 2, ... in file order.
    """
    face = np.asarray(face, bool)
    n = len(face)
    frame = np.arange(n) if frame is None else np.asarray(frame)
    out = pd.DataFrame({"participant_id": participant, "frame": frame.astype(np.int64),
                        "time_ms": np.asarray(time_ms, float), "face": face})
    nan = np.full(n, np.nan)
    out["face_score"] = nan if face_score is None else np.asarray(face_score, float)
    for name, source in [(r, scores.get(r)) for r in REACTIONS] + [(a, (pose or {}).get(a)) for a in POSE]:
        out[name] = nan if source is None else np.asarray(source, float)
    out = out[list(FRAME_COLUMNS)]
    out.loc[~face, list(FRAME_COLUMNS[4:])] = np.nan
    if stimulus is not None:
        out["stimulus"] = np.asarray(stimulus, object)
    return out


def _check_times(frames: pd.DataFrame, path: Path, participant: str) -> pd.DataFrame:
    bad = np.flatnonzero(~np.isfinite(frames["time_ms"].to_numpy()))
    if len(bad):
        raise ExportError(f"participant {participant}: {path}: frame {bad[0]} has no time.")
    back = np.flatnonzero(np.diff(frames["time_ms"].to_numpy()) < 0)
    if len(back):
        raise ExportError(f"participant {participant}: {path}: time goes backwards after frame {back[0]}; "
                          "export one recording per file, in time order.")
    return frames


def _require(df: pd.DataFrame, columns, path: Path, participant: str, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ExportError(f"participant {participant}: {path}: not {what}: missing column(s) {missing}.")


# --- iMotions ----------------------------------------------------------------------------------------


def read_imotions_table(path) -> pd.DataFrame:
    """An iMotions export as a DataFrame: '#' metadata lines and blank lines before the header skipped."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if start is None:
        raise ExportError(f"{path}: no header row after the '#' metadata lines.")
    return _decimal_commas(pd.read_csv(io.StringIO("\n".join(lines[start:])), sep="\t", low_memory=False))


def _decimal_commas(df: pd.DataFrame) -> pd.DataFrame:
    """Columns written with a decimal comma (iMotions on a European locale: '12,5') as numbers; read as text,
    they would become NaN scores, i.e. frames without a face."""
    for column in df.columns[df.dtypes == object]:
        text = df[column].dropna().astype(str).str.strip()
        if len(text) and text.str.fullmatch(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?|[-+]?\d+").all():
            df[column] = pd.to_numeric(df[column].astype(str).str.replace(",", ".", regex=False), errors="coerce")
    return df


def facet_probability(evidence) -> np.ndarray:
    """FACET Evidence (log10 odds) -> probability 0-100: 100 / (1 + 10^-evidence)."""
    return 100.0 / (1.0 + np.power(10.0, -np.asarray(evidence, float)))


def _affdex_scores(df: pd.DataFrame) -> dict:
    """Reaction -> values for the columns named like AFFDEX metrics ('Brow Furrow', 'browFurrow', 'Joy')."""
    by_key = {_key(c): c for c in df.columns}
    scores = {}
    for reaction in REACTIONS:
        column = by_key.get(_key(display_name(reaction)))
        if column is not None:
            scores[reaction] = pd.to_numeric(df[column], errors="coerce").to_numpy(float)
    return scores


def _facet_frames(df: pd.DataFrame, path: Path, participant: str) -> pd.DataFrame:
    rows = df[df["EventSource"].astype(str).str.contains("FACET")].reset_index(drop=True)
    scores = {name: facet_probability(rows[f"AU{n} Evidence"])
              for name, n in EXPRESSION_AUS.items() if f"AU{n} Evidence" in rows}
    scores |= {name: facet_probability(rows[f"{display_name(name)} Evidence"])
               for name in EMOTIONS if f"{display_name(name)} Evidence" in rows}
    evidence = np.column_stack(list(scores.values()))
    face = (pd.to_numeric(rows["NoOfFaces"], errors="coerce") > 0).to_numpy() & np.isfinite(evidence).all(axis=1)
    pose = {name: rows[f"{name.capitalize()} Degrees"] for name in ("pitch", "yaw", "roll")
            if f"{name.capitalize()} Degrees" in rows}
    return _frame_table(participant, rows["Timestamp"], face, scores, pose=pose,
                        stimulus=rows.get("StimulusName"))


def _affdex_frames(df: pd.DataFrame, time_ms, participant: str) -> pd.DataFrame | None:
    """Frame table from AFFDEX-named columns; None when the table has none."""
    scores = _affdex_scores(df)
    if not scores:
        return None
    values = np.column_stack(list(scores.values()))
    face = np.isfinite(values).all(axis=1)
    by_key = {_key(c): c for c in df.columns}
    pose = {name: pd.to_numeric(df[by_key[name]], errors="coerce") for name in ("pitch", "yaw", "roll")
            if name in by_key}
    stimulus = df[by_key["stimulusname"]] if "stimulusname" in by_key else None
    return _frame_table(participant, time_ms, face, scores, pose=pose, stimulus=stimulus)


def read_imotions(path, participant: str) -> pd.DataFrame:
    """An iMotions export (FACET or AFFDEX), or Affectiva's JSON output (``.json``), -> frame table.

    iMotions text exports are tab-separated with '#' metadata lines, then a header row. FACET exports
    are recognised by ``AUn Evidence`` columns (only rows whose EventSource is FACET are frames; eye
    tracker rows are dropped); AFFDEX exports by columns named like the AFFDEX metrics ("Brow Furrow",
    "Smile", "Joy"). time_ms is the export's ``Timestamp`` (ms since the recording started); JSON
    ``Timestamp`` values are seconds (Affectiva SDK) and are converted to ms.
    """
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"participant {participant}: export {path} not found (participants sheet, column export).")
    if path.suffix.lower() == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        df = pd.DataFrame(records if isinstance(records, list) else [records])
        _require(df, ["Timestamp"], path, participant, "an Affectiva output")
        frames = _affdex_frames(df, pd.to_numeric(df["Timestamp"]) * 1000.0, participant)
    else:
        df = read_imotions_table(path)
        _require(df, ["Timestamp"], path, participant, "an iMotions export")
        if any(str(c).endswith(" Evidence") for c in df.columns):
            _require(df, ["EventSource", "NoOfFaces"], path, participant, "an iMotions FACET export")
            frames = _facet_frames(df, path, participant)
        else:
            frames = _affdex_frames(df, pd.to_numeric(df["Timestamp"], errors="coerce"), participant)
    if frames is None:
        raise ExportError(f"participant {participant}: {path}: no FACET 'Evidence' or AFFDEX metric columns "
                          "(e.g. 'Brow Furrow', 'Joy') found.")
    return _check_times(frames, path, participant)


# --- OpenFace ----------------------------------------------------------------------------------------

#: OpenFace has no AU43; its AU45 (blink) intensity measures how far the eyelids are closed.
OPENFACE_SUBSTITUTES = {"eye_closure": 45}


def read_openface(path, participant: str) -> pd.DataFrame:
    """An OpenFace 2.x CSV (FeatureExtraction output) -> frame table. Scales in the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"participant {participant}: export {path} not found (participants sheet, column export).")
    df = pd.read_csv(path, skipinitialspace=True)
    df.columns = df.columns.str.strip()
    _require(df, ["timestamp", "confidence", "success", "pose_Rx", "pose_Ry", "pose_Rz"], path, participant,
             "an OpenFace 2.x CSV")
    scores = {}
    for name, n in (EXPRESSION_AUS | OPENFACE_SUBSTITUTES).items():
        if f"AU{n:02d}_r" in df:
            scores[name] = df[f"AU{n:02d}_r"].to_numpy(float) * 20.0
        elif f"AU{n:02d}_c" in df:
            scores[name] = df[f"AU{n:02d}_c"].to_numpy(float) * 100.0
    pose = {"pitch": np.degrees(df["pose_Rx"]), "yaw": np.degrees(df["pose_Ry"]), "roll": np.degrees(df["pose_Rz"])}
    frames = _frame_table(participant, df["timestamp"].to_numpy(float) * 1000.0, df["success"] == 1, scores,
                          frame=df["frame"] - 1 if "frame" in df else None,  # OpenFace counts from 1
                          face_score=df["confidence"], pose=pose)
    return _check_times(frames, path, participant)


# --- py-feat -----------------------------------------------------------------------------------------

PYFEAT_EMOTIONS = {"joy": "happiness", "anger": "anger", "fear": "fear", "disgust": "disgust",
                   "sadness": "sadness", "surprise": "surprise"}


def read_pyfeat(path, participant: str, fps: float) -> pd.DataFrame:
    """A py-feat detector CSV (``Fex.to_csv``) -> frame table; ``fps`` (frames/s) times the frames.

    py-feat writes one row per detected face: of several faces in a frame the largest (face box area)
    is kept, as the video extraction does. ``frame`` keeps py-feat's frame numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"participant {participant}: export {path} not found (participants sheet, column export).")
    df = pd.read_csv(path)
    _require(df, ["frame", "FaceScore", "FaceRectWidth", "FaceRectHeight", "Pitch", "Roll", "Yaw"], path,
             participant, "a py-feat CSV")
    area = (df["FaceRectWidth"] * df["FaceRectHeight"]).fillna(-1)
    df = df.loc[area.groupby(df["frame"]).idxmax()].sort_values("frame").reset_index(drop=True)
    scores = {name: df[f"AU{n:02d}"].to_numpy(float) * 100.0 for name, n in EXPRESSION_AUS.items() if f"AU{n:02d}" in df}
    scores |= {name: df[col].to_numpy(float) * 100.0 for name, col in PYFEAT_EMOTIONS.items() if col in df}
    face = df["FaceScore"].notna().to_numpy()
    pose = {"pitch": df["Pitch"], "yaw": df["Yaw"], "roll": df["Roll"]}
    frames = _frame_table(participant, df["frame"].to_numpy(float) * 1000.0 / fps, face, scores,
                          frame=df["frame"], face_score=df["FaceScore"], pose=pose)
    return _check_times(frames, path, participant)


def read_export(path, engine: str, participant: str, fps: float = 30.0) -> pd.DataFrame:
    """Read ``participant``'s export from ``engine`` (imotions | openface | pyfeat) as a frame table."""
    if engine == "imotions":
        return read_imotions(path, participant)
    if engine == "openface":
        return read_openface(path, participant)
    if engine == "pyfeat":
        return read_pyfeat(path, participant, fps)
    raise ExportError(f"participant {participant}: unknown frames_source {engine!r}; one of {ENGINES}.")
