"""The run summary: which participants went through which per-participant stage, and why not.

After a run (also one with ``--keep-going`` where some jobs failed) every participant gets one row:
the first stage whose output is missing, its log file, and the log's last non-empty line (the error
message the job wrote). Then one row per distinct note of each table in results/tables/ (status
``note``: a statistic that could not be computed, such as "2 usable participants (quality grade 0);
OLS with 28 parameters needs at least 29"). The workflow writes it to results/run_summary.tsv on
success and on error.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

def last_line(path: Path) -> str:
    """The last non-empty line of a text file ("" when it is missing or empty)."""
    if not path.is_file():
        return ""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def analysis_notes(root: str | Path = ".") -> pd.DataFrame:
    """One row per distinct non-empty note of each results/tables/*.tsv that has a note column:
    participant_id "all", status "note", stage (the table), log "", message (the note)."""
    rows = []
    for path in sorted((Path(root) / "results" / "tables").glob("*.tsv")):
        table = pd.read_csv(path, sep="\t", dtype=str)
        notes = table["note"].dropna().unique() if "note" in table else []
        rows += [{"participant_id": "all", "status": "note", "stage": f"tables/{path.name}", "log": "", "message": n}
                 for n in notes if n]
    return pd.DataFrame(rows, columns=["participant_id", "status", "stage", "log", "message"])


def run_summary(participants: list[str], stages: dict[str, list[tuple]], sources: dict[str, str],
                root: str | Path = ".") -> pd.DataFrame:
    """One row per participant: status (complete | failed | not run), the stage reached, log and message.

    ``stages`` has the per-participant stages, in data-flow order, of participants recorded on "video" and
    of those whose frames come from an "export"; each stage is (name, output patterns, log pattern) with
    ``{participant}`` in the paths (the workflow passes its rules' own ``output`` and ``log``).
    ``sources`` maps participant -> frames source ("video" when absent, else an engine such as "openface"). A stage counts as failed when an
    output is missing and its log exists (the job started); as not run when neither exists.
    """
    root = Path(root)
    rows = []
    for participant in participants:
        row = {"participant_id": participant, "status": "complete", "stage": "", "log": "", "message": ""}
        source = sources.get(participant, "video")
        for stage, outputs, log in stages["video" if source == "video" else "export"]:
            if not all((root / output.format(participant=participant)).is_file() for output in outputs):
                log_path = root / log.format(participant=participant)
                failed = log_path.is_file()
                row.update(status="failed" if failed else "not run", stage=stage,
                           log=str(log_path.relative_to(root)) if failed else "", message=last_line(log_path))
                break
        rows.append(row)
    return pd.DataFrame(rows, columns=["participant_id", "status", "stage", "log", "message"])
