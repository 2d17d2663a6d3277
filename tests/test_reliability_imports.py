"""Reliability: engine exports with missing columns, another engine's columns, a decimal comma and
thousands of metadata lines (iMotions AFFDEX text exports written by test_reliability_inputs.affdex_export)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mimicry.importers import ExportError, read_export
from mimicry.names import FRAME_COLUMNS

from conftest import pyfeat_media
from test_reliability_inputs import affdex_export, participant_frames


@pytest.fixture
def frames():
    return participant_frames("p1", 1, end_ms=2000.0)


def imported(path) -> pd.DataFrame:
    return read_export(path, "imotions", "p1")[list(FRAME_COLUMNS)]


def test_decimal_comma_reads_the_same_numbers(tmp_path, frames):
    affdex_export(tmp_path / "dot.txt", frames)
    affdex_export(tmp_path / "comma.txt", frames, decimal=",")
    assert "," in (tmp_path / "comma.txt").read_text().splitlines()[-1]
    dot, comma = imported(tmp_path / "dot.txt"), imported(tmp_path / "comma.txt")
    assert comma["face"].all()  # never NaN scores read as 'no face'
    pd.testing.assert_frame_equal(comma, dot)
    np.testing.assert_allclose(dot["joy"], frames["joy"])


def test_thousands_of_metadata_lines(tmp_path, frames):
    affdex_export(tmp_path / "short.txt", frames)
    affdex_export(tmp_path / "long.txt", frames, meta_lines=5000)
    pd.testing.assert_frame_equal(imported(tmp_path / "long.txt"), imported(tmp_path / "short.txt"))


def test_missing_time_column_names_participant_and_file(tmp_path, frames):
    affdex_export(tmp_path / "export.txt", frames)
    lines = (tmp_path / "export.txt").read_text().splitlines()
    header = lines[4].split("\t")
    (tmp_path / "export.txt").write_text("\n".join(lines[:4] + ["\t".join(["Time"] + header[1:])] + lines[5:]))
    with pytest.raises(ExportError, match=r"participant p1: .*export\.txt: not an iMotions export: missing column\(s\) \['Timestamp'\]"):
        read_export(tmp_path / "export.txt", "imotions", "p1")


def test_missing_metric_columns_are_nan_not_zero(tmp_path, frames):
    affdex_export(tmp_path / "export.txt", frames)
    table = pd.read_csv(tmp_path / "export.txt", sep="\t", skiprows=4)
    table[["Timestamp", "Joy", "Smile"]].to_csv(tmp_path / "export.txt", sep="\t", index=False)
    out = read_export(tmp_path / "export.txt", "imotions", "p1")
    np.testing.assert_allclose(out["joy"], frames["joy"])
    assert out["face"].all() and out[["anger", "brow_furrow", "pitch"]].isna().all(axis=None)


def test_another_engines_export_is_named(tmp_path):
    with pytest.raises(ExportError, match=r"participant p1: .*OpenFace_Test\.csv: not an iMotions export: missing"):
        read_export(pyfeat_media("OpenFace_Test.csv"), "imotions", "p1")
    with pytest.raises(ExportError, match=r"participant p1: .*iMotions_Test_v6\.txt: not an OpenFace 2.x CSV"):
        read_export(pyfeat_media("iMotions_Test_v6.txt"), "openface", "p1")
