"""Sentences for statistics a small sample cannot give, in words a researcher understands.

A pilot of 0, 1, 2 or a handful of usable participants still gets every table: a statistic that cannot
be computed is NaN with a note such as "2 usable participants (quality grade 0); OLS with 28 parameters
needs at least 29". The notes are written to the table, to the job's log and to results/run_summary.tsv.
"""

from __future__ import annotations

import os
import sys

from mimicry.io import write_tsv

#: Who is counted when the caller does not say.
USABLE = "usable participants"


def usable(max_grade: int) -> str:
    """'usable participants (quality grade 0)', or '(quality grade 0-1)' for max_grade 1."""
    grades = "0" if max_grade == 0 else f"0-{max_grade}"
    return f"{USABLE} (quality grade {grades})"


def unit_words(unit: str, max_grade: int) -> str:
    """Who the rows of ``unit`` (mimicry.analysis.data.UNITS) are, for the notes."""
    return usable(max_grade) if unit == "participant" else "participant x stimulus rows"


def count(n: int, who: str) -> str:
    """'1 usable participant (...)' or '2 usable participants (...)': ``who`` is written in the plural."""
    return f"{n} {who.replace('participants', 'participant', 1) if n == 1 else who}"


def shortfall(n: int, needed: int, what: str, who: str = USABLE) -> str:
    """'' when ``n`` >= ``needed``, else e.g. '2 usable participants; this model needs at least 29'."""
    return "" if n >= needed else f"{count(n, who)}; {what} needs at least {needed}"


def join(*notes: str) -> str:
    """The non-empty notes joined with '; '."""
    return "; ".join(note for note in notes if note)


def write_table(table, path: str | os.PathLike, log=None) -> None:
    """Write ``table`` as TSV (atomically) and each distinct note of its ``note`` column to ``log``
    (default stderr, which the workflow's scripts point at the job's log)."""
    write_tsv(table, path)
    if "note" in table:
        for note in sorted({n for n in table["note"].dropna().astype(str) if n}):
            print(f"{path}: {note}", file=log or sys.stderr)
