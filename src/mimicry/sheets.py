"""Reading and validating the study's sample sheets (participants, EQ responses, stimuli).

Sheets are tab-separated UTF-8 text with a header row. Each row is checked against the sheet's JSON
schema (shipped with the package: mimicry/schemas/<sheet>.schema.yaml, ``sheet_schema``); checks a schema
cannot express (unique ids, references between
sheets, overlapping stimuli) follow. Every problem is reported with the file, the line, the participant
and the column, and all problems of a sheet are reported together.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

EQ_ITEMS = tuple(f"q{i}" for i in range(1, 61))
TRUE_WORDS = {"true", "yes", "1"}


class SheetError(ValueError):
    """An input sheet is invalid; the message lists every problem and how to fix it."""


SHEET_NAMES = ("participants", "eq_responses", "stimuli")
SCHEMA_DIR = Path(__file__).parent / "schemas"


def load_schema(path: str | Path) -> dict:
    """Read a JSON schema written as YAML."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@functools.cache
def sheet_schema(name: str) -> dict:
    """The JSON schema of sheet ``name`` (one of SHEET_NAMES), from the package's schemas folder. Read once;
    the dict is shared, so do not change it (pass your own to the readers' ``schema`` instead)."""
    if name not in SHEET_NAMES:
        raise ValueError(f"no sheet {name!r}; sheets are {', '.join(SHEET_NAMES)}")
    return load_schema(SCHEMA_DIR / f"{name}.schema.yaml")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise SheetError(f"{path}: file not found. Check the path in your config (study.*).")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SheetError(
            f"{path}: line {line} is not valid UTF-8 (byte {raw[err.start]:#04x} at offset {err.start}). "
            "Save the sheet as UTF-8 text."
        ) from None


def read_sheet(path: str | Path, schema: dict, normalise=None) -> pd.DataFrame:
    """Read a tab-separated sheet as text and validate every row against ``schema``.

    ``normalise`` (optional) maps the raw DataFrame of stripped strings to the form the schema checks.
    Returns a DataFrame of stripped strings ("" for blank cells), in file order. Raises SheetError
    naming the file, line and column of each problem.
    """
    path = Path(path)
    text = _read_text(path)
    header = text.splitlines()[0] if text.strip() else ""
    if not header.strip():
        raise SheetError(f"{path}: the sheet is empty; expected a tab-separated header row and data rows.")
    if "\t" not in header:
        for sep, name in ((",", "comma"), (";", "semicolon")):
            if sep in header:
                raise SheetError(
                    f"{path}: the header has no tab but contains {sep!r}: the sheet looks {name}-separated. "
                    "Save it as tab-separated text (TSV)."
                )
    df = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, na_filter=False)
    df.columns = [str(c).strip() for c in df.columns]
    df = df.apply(lambda col: col.str.strip())
    if normalise is not None:
        df = normalise(df)
    if df.empty:
        raise SheetError(f"{path}: the sheet has a header but no data rows.")
    problems = _schema_problems(df, schema)
    if problems:
        raise SheetError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return df


def _schema_problems(df: pd.DataFrame, schema: dict) -> list[str]:
    missing = [c for c in schema.get("required", []) if c not in df.columns]
    if missing:
        return [
            f"missing required column(s) {', '.join(missing)}; the header has: {', '.join(df.columns)}"
        ]
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for line, row in zip(range(2, len(df) + 2), df.to_dict("records")):
        record = {k: v for k, v in row.items() if v != ""}
        who = f"line {line} (participant {row.get('participant_id') or '?'})"
        for err in validator.iter_errors(record):
            column = err.path[0] if err.path else None
            if err.validator == "required":
                problems.append(f"{who}: {err.message} (blank cell)")
            else:
                problems.append(f"{who}, column {column}: value {err.instance!r} is invalid: {_hint(err)}")
    return problems


def _hint(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        return "expected one of " + ", ".join(map(str, err.validator_value))
    if err.validator == "pattern":
        description = err.schema.get("description")
        return description or f"must match {err.validator_value}"
    return err.message


def _duplicates(df: pd.DataFrame, path: Path) -> list[str]:
    dup = df["participant_id"][df["participant_id"].duplicated(keep=False)]
    return [
        f"{path}: participant {pid} appears on lines {', '.join(str(i + 2) for i in idx)}; ids must be unique"
        for pid, idx in dup.groupby(dup).groups.items()
    ]


def read_participants(path: str | Path, schema: dict | None = None) -> pd.DataFrame:
    """Read participants.tsv (against ``schema``, default the package's): ``glasses`` becomes bool,
    ``quality_manual`` a nullable integer 0-3."""
    path = Path(path)
    df = read_sheet(path, schema or sheet_schema("participants"))
    problems = _duplicates(df, path)
    if problems:
        raise SheetError("\n".join(problems))
    df["glasses"] = df["glasses"].str.lower().isin(TRUE_WORDS)
    for column, default in (("video", ""), ("frames_source", "video"), ("export", "")):
        if column not in df:
            df[column] = default
    df["frames_source"] = df["frames_source"].replace("", "video")
    manual = df["quality_manual"] if "quality_manual" in df else pd.Series("", index=df.index)
    df["quality_manual"] = pd.to_numeric(manual.replace("", None), errors="raise").astype("Int64")
    needs_export = df[(df["frames_source"] != "video") & (df["export"] == "")]
    if len(needs_export):
        raise SheetError(
            f"{path}: participant(s) {', '.join(needs_export['participant_id'])} use frames_source "
            "other than video but have no export path; fill the export column."
        )
    return df


def _normalise_answers(df: pd.DataFrame) -> pd.DataFrame:
    items = [c for c in df.columns if c in EQ_ITEMS]
    df[items] = df[items].apply(lambda col: col.str.lower().str.split().str.join(" "))
    return df


def read_eq_responses(path: str | Path, schema: dict | None = None) -> pd.DataFrame:
    """Read eq_responses.tsv: one row per participant, answers lower-cased with single spaces.

    Every item needs its column; a blank answer is missing (config eq.missing decides what that does).
    ``schema``: default the package's.
    """
    path = Path(path)
    df = read_sheet(path, schema or sheet_schema("eq_responses"), normalise=_normalise_answers)
    columns = _schema_problems(df.head(0), {"required": list(EQ_ITEMS)})  # columns only: answers may be blank
    problems = [f"{path}: {p}" for p in columns] + _duplicates(df, path)
    if problems:
        raise SheetError("\n".join(problems))
    return df[["participant_id", *EQ_ITEMS]]


def read_stimuli(path: str | Path, schema: dict | None = None) -> pd.DataFrame:
    """Read stimuli.tsv: block as int, onset_ms and duration_ms as float (ms from video start).

    Rejects presentations of zero length and presentations of one participant that overlap.
    ``schema``: default the package's.
    """
    path = Path(path)
    df = read_sheet(path, schema or sheet_schema("stimuli"))
    df["block"] = df["block"].astype(int)
    df["onset_ms"] = df["onset_ms"].astype(float)
    df["duration_ms"] = df["duration_ms"].astype(float)
    df["line"] = range(2, len(df) + 2)
    problems = [
        f"line {r.line} (participant {r.participant_id}), column duration_ms: must be > 0 ms"
        for r in df[df["duration_ms"] <= 0].itertuples()
    ]
    for pid, rows in df.sort_values("onset_ms", kind="stable").groupby("participant_id", sort=False):
        ends = rows["onset_ms"] + rows["duration_ms"]
        overlap = rows["onset_ms"].to_numpy()[1:] < ends.to_numpy()[:-1]
        for earlier, later in zip(rows.iloc[:-1][overlap].itertuples(), rows.iloc[1:][overlap].itertuples()):
            problems.append(
                f"participant {pid}: stimulus {later.stimulus} (line {later.line}) starts at "
                f"{later.onset_ms:g} ms, before {earlier.stimulus} (line {earlier.line}) ends at "
                f"{earlier.onset_ms + earlier.duration_ms:g} ms"
            )
    if problems:
        raise SheetError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return df.drop(columns="line")


def check_references(participants: pd.DataFrame, other: pd.DataFrame, other_path: str | Path) -> None:
    """Every participant_id of ``other`` (EQ responses or stimuli) must be in participants.tsv."""
    unknown = sorted(set(other["participant_id"]) - set(participants["participant_id"]))
    if unknown:
        raise SheetError(
            f"{other_path}: participant(s) {', '.join(unknown)} are not in participants.tsv; "
            "add them there or remove their rows."
        )


def check_stimuli_present(participants: pd.DataFrame, stimuli: pd.DataFrame, stimuli_path: str | Path) -> None:
    """Every participant needs rows in stimuli.tsv, except those whose iMotions export can carry the
    stimulus log (frames_source imotions): caught before any costly extraction runs."""
    lacking = participants[(participants["frames_source"] != "imotions")
                           & ~participants["participant_id"].isin(stimuli["participant_id"])]
    if len(lacking):
        raise SheetError(
            f"{stimuli_path}: participant(s) {', '.join(lacking['participant_id'])} of participants.tsv have no "
            "rows; add their stimulus presentations (only an iMotions export can carry its own)."
        )
