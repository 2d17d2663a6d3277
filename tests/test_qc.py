"""The quality-control page on hand-built recordings: the frames it shows and the problems it marks, and the
page itself with frames read by seeking a real video."""

import cv2
import numpy as np
import pytest

from conftest import face_models, pyfeat_media, read_video
from mimicry import qc

from test_epochs import STIMULI, frames_table

SETTINGS = dict(occlusion_score=0.5, lower_face_covered=0.25, mouth=["mouth_open", "jaw_drop"],
                mouth_window_ms=1000, mouth_min_swing=8, mouth_min_cycles=2)
RECORD = {"participant_id": "p1", "auto_grade": 1, "reasons": ["mouth covered (occlusion) in 18% of stimulus face frames"]}


@pytest.fixture
def recording():
    """Face throughout; joy peaks at 2.0 s (the happy face) and anger at 12.0 s (the angry face);
    the face is lost 8.0-8.4 s; the lips are covered 1.2-1.6 s; the mouth chatters in the blank 4.2-5.0 s."""
    df = frames_table()
    t = df["time_ms"]
    df["lower_face_changed"] = 0.0
    df.loc[t.between(1200, 1599), "lower_face_changed"] = 0.5
    df.loc[t == 2000, "joy"] = 90.0
    df.loc[t == 12000, "anger"] = 60.0
    df.loc[t.between(4200, 4999), "mouth_open"] = np.where((t[t.between(4200, 4999)] // 120) % 2, 60.0, 0.0)
    lost = t.between(8000, 8399)
    df.loc[lost, "face"] = False
    df.loc[lost, ["face_score", "lower_face_changed"]] = np.nan
    return df


def test_problems_are_marked_where_they_occur(recording):
    problems = qc.problem_frames(recording, STIMULI, SETTINGS)
    t = recording["time_ms"]
    assert t[problems["face lost"]].agg(["min", "max"]).tolist() == [8000, 8360]
    assert t[problems["mouth covered"]].agg(["min", "max"]).tolist() == [1200, 1560]
    moving = t[problems["mouth moving"]]
    assert len(moving) and moving.between(3700, 5500).all()  # the chatter, widened by the half window
    assert not problems["low face score"].any()


def test_strip_shows_each_problem_then_the_largest_congruent_peaks(recording):
    rows = qc.strip_rows(recording, STIMULI, qc.problem_frames(recording, STIMULI, SETTINGS))
    t = recording["time_ms"].to_numpy()
    labels = {label.split("\n")[0]: t[row] for row, label in rows}
    assert labels["face lost"] == pytest.approx(8160, abs=40) and 1200 <= labels["mouth covered"] <= 1560
    assert labels["peak Joy 90"] == 2000 and labels["peak Anger 60"] == 12000
    assert [row for row, _ in rows] == sorted(row for row, _ in rows) and len(rows) <= qc.STRIP_FRAMES


def test_page_reads_only_the_frames_it_shows(recording, tmp_path, monkeypatch):
    """The page of a recording whose frames are single_face.mp4's: a PNG sized for a screen, whose strip
    holds the seeked frames with a mesh drawn."""
    video = pyfeat_media("single_face.mp4")
    n = len(read_video(video))
    recording = recording.iloc[:n]
    seeks = []
    read_at = qc.read_frames_at
    monkeypatch.setattr(qc, "read_frames_at", lambda v, idx: seeks.append(list(idx)) or read_at(v, idx))
    out = tmp_path / "p1.png"
    qc.qc_page("p1", recording, STIMULI[STIMULI["onset_ms"] < recording["time_ms"].max()], RECORD, SETTINGS, out,
               video=video, models_dir=face_models())
    page = cv2.imread(str(out))
    assert page.shape[:2] == (1100, 1600)
    assert len(seeks) == 1 and 0 < len(seeks[0]) <= qc.STRIP_FRAMES


def test_mesh_is_drawn_on_a_real_face():
    from mimicry.face.analyzer import FaceAnalyzer

    frame = read_video(pyfeat_media("single_face.mp4"), 1)[0]
    with FaceAnalyzer(face_models()) as analyzer:
        landmarks, _ = analyzer.landmarks(frame)
    drawn = qc.draw_mesh(frame, landmarks)
    changed = np.flatnonzero((drawn != frame).any(axis=2).any(axis=0))
    h, w = frame.shape[:2]
    xs = landmarks[:, 0] * w
    assert changed.min() >= xs.min() - 2 and changed.max() <= xs.max() + 2  # lines only on the face
    assert (qc.draw_mesh(frame, None) == frame).all()


def test_page_of_an_engine_export_has_no_strip(recording, tmp_path):
    """An imported participant (no video, no lower-face edges): the page is drawn from the frames alone."""
    out = tmp_path / "p1.png"
    qc.qc_page("p1", recording.drop(columns="lower_face_changed"), STIMULI, RECORD, SETTINGS, out)
    assert cv2.imread(str(out)).shape[:2] == (1100, 1600)
    assert "mouth covered" not in qc.problem_frames(recording.drop(columns="lower_face_changed"), STIMULI, SETTINGS)
