"""Quality metrics, automatic grades and reasons on hand-built recordings, and the manual override."""

import json

import numpy as np
import pandas as pd
import pytest

from mimicry import quality
from mimicry.names import POSE, REACTIONS

from test_epochs import STIMULI, frames_table

#: Explicit limits (not config.yaml's defaults, so the expected grades do not move with the defaults).
LIMITS = {
    "face_missing_fraction": {"minor": 0.05, "major": 0.10, "unusable": 0.95},
    "longest_gap_ms": {"minor": 1000, "major": 3000},
    "low_score_fraction": {"minor": 0.05, "major": 0.25},
    "mouth_missing_fraction": {"minor": 0.05, "major": 0.25},
    "mouth_covered_fraction": {"minor": 0.05, "major": 0.25},
    "longest_covered_ms": {"minor": 1000, "major": 3000},
    "blank_mouth_moving_fraction": {"minor": 0.10, "major": 0.25},
    "yaw_p95_deg": {"minor": 25, "major": 40},
}
PARAMS = dict(occlusion_score=0.5, lower_face_covered=0.25, mouth=["mouth_open", "jaw_drop"], mouth_window_ms=1000, mouth_min_swing=8,
              mouth_min_cycles=2, post_blank_ms=8000)


def rested() -> pd.DataFrame:
    """A good recording: a face throughout, small frame-to-frame noise (SD 2 score points)."""
    df = frames_table()
    rng = np.random.default_rng(0)
    df[list(REACTIONS)] = 5 + rng.normal(0, 2, (len(df), len(REACTIONS)))
    return df


def assess(frames):
    metrics = quality.quality_metrics(frames, STIMULI, **PARAMS)
    return metrics, *quality.grade(metrics, LIMITS)


def remove_face(df, mask):
    df.loc[mask, "face"] = False
    df.loc[mask, ["face_score", *REACTIONS, *POSE]] = np.nan


def test_no_gap_at_15_fps_is_exactly_zero():
    """Frame times of a 15 fps recording (66.67 ms apart) leave no float residue in the gap."""
    frames = rested()
    frames["time_ms"] = np.arange(len(frames)) * (1000 / 15)
    frames = frames[frames["time_ms"] < 16000.0]
    assert assess(frames)[0]["longest_gap_ms"] == 0.0


def test_good_recording_is_grade_0():
    metrics, grade, reasons = assess(rested())
    assert (grade, reasons) == (0, [])
    assert metrics["face_missing_fraction"] == 0.0 and metrics["longest_gap_ms"] == 0.0
    assert metrics["face_score_median"] == pytest.approx(0.9)
    assert metrics["blank_mouth_moving_fraction"] == 0.0
    assert metrics["n_stimuli"] == 3


def test_missing_face_and_gap_give_grade_2_with_reasons():
    df = rested()
    t = df["time_ms"]
    # first 1800 ms (45 frames) of the happy and of the neutral face: 90 of 225 stimulus frames
    remove_face(df, ((t >= 1000) & (t < 2800)) | ((t >= 6000) & (t < 7800)))
    metrics, grade, reasons = assess(df)
    assert metrics["face_missing_fraction"] == pytest.approx(90 / 225)
    assert metrics["longest_gap_ms"] == pytest.approx(1800.0)
    assert grade == 2
    assert reasons == [
        "face missing 40% of stimulus time (limit 10% for grade 2)",
        "face lost for 1800 ms within one presentation (limit 1000 ms for grade 1)",
    ]


def test_gap_in_the_middle_and_at_the_end_of_a_presentation():
    df = rested()
    t = df["time_ms"]
    remove_face(df, ((t >= 2000) & (t < 3200)) | ((t >= 13600) & (t < 14000)))
    metrics, _, _ = assess(df)
    assert metrics["longest_gap_ms"] == pytest.approx(1200.0)
    assert metrics["face_missing_fraction"] == pytest.approx((30 + 10) / 225)


def test_talking_in_a_blank_is_a_major_issue():
    df = rested()
    t = df["time_ms"]
    talking = (t >= 4000) & (t < 6000)  # the whole 2 s blank after the happy face: 50 of 150 blank frames
    df.loc[talking, "mouth_open"] = 25 + 30 * np.sin(2 * np.pi * 5 * t[talking] / 1000)
    metrics, grade, reasons = assess(df)
    assert metrics["blank_mouth_moving_fraction"] == pytest.approx(50 / 150)
    assert grade == 2
    assert reasons == ["mouth moving (talking, eating) in 33% of blank face frames (limit 25% for grade 2)"]


def test_a_slow_reaction_in_the_blank_is_not_talking():
    df = rested()
    t = df["time_ms"]
    decay = (t >= 4000) & (t < 6000)  # a surprised jaw drop fading over the blank, no oscillation
    df.loc[decay, "jaw_drop"] = 60 * np.exp(-(t[decay] - 4000) / 1500)
    metrics, grade, _ = assess(df)
    assert metrics["blank_mouth_moving_fraction"] < 0.10 and grade == 0


def test_occlusion_and_head_pose():
    df = rested()
    t = df["time_ms"]
    stimulus = ((t >= 1000) & (t < 4000)) | ((t >= 6000) & (t < 9000)) | ((t >= 11000) & (t < 14000))
    low = stimulus & (t % 400 < 120)  # 3 of every 10 frames: 66 of the 225 stimulus frames (29%)
    df.loc[low, "face_score"] = 0.3
    df.loc[stimulus, "yaw"] = -45.0
    metrics, grade, reasons = assess(df)
    assert low.sum() == 66 and metrics["low_score_fraction"] == pytest.approx(66 / 225)
    assert metrics["yaw_p95_deg"] == pytest.approx(45.0)
    assert grade == 2
    assert sorted(reasons) == [
        "face score low (occlusion) in 29% of stimulus face frames (limit 25% for grade 2)",
        "head turned by 45 deg (95th percentile of |yaw|) (limit 40 deg for grade 2)",
    ]


def test_covered_mouth():
    df = rested()
    t = df["time_ms"]
    df.loc[(t >= 1000) & (t < 1480), ["mouth_open", "jaw_drop"]] = np.nan  # 12 of 225 stimulus face frames
    metrics, grade, reasons = assess(df)
    assert metrics["mouth_missing_fraction"] == pytest.approx(12 / 225)
    assert grade == 1 and reasons[0].startswith("no mouth signals in 5% of stimulus face frames (limit 5% for grade 1)")


def test_a_changed_lower_face_is_a_covered_mouth():
    df = rested()
    t = df["time_ms"]
    df["lower_face_changed"] = np.random.default_rng(1).integers(0, 4, len(df)) / 16  # 0-3 of 16 cells: expressions
    hand = (t >= 6000) & (t < 7600)  # 40 of the 225 stimulus face frames: a hand over 4-8 of the 16 cells
    df.loc[hand, "lower_face_changed"] = np.random.default_rng(2).integers(4, 9, hand.sum()) / 16
    metrics, grade, reasons = assess(df)
    assert metrics["mouth_covered_fraction"] == pytest.approx(40 / 225)
    assert metrics["longest_covered_ms"] == pytest.approx(1600.0)
    assert grade == 1 and sorted(reasons) == [
        "mouth covered (occlusion: a hand or object over the mouth, nose or chin) for 1600 ms within one presentation (limit 1000 ms for grade 1)",
        "mouth covered (occlusion: a hand or object over the mouth, nose or chin) in 18% of stimulus face frames (limit 5% for grade 1)"]
    assert quality.quality_metrics(frames_table(), STIMULI, **PARAMS)["mouth_covered_fraction"] is None  # no pixels


def test_camera_off_is_grade_3():
    df = rested()
    remove_face(df, df["time_ms"] >= 0)
    metrics, grade, reasons = assess(df)
    assert grade == 3
    assert reasons[0] == "face missing 100% of stimulus time (limit 95% for grade 3)"
    assert metrics["face_score_median"] is None and metrics["yaw_p95_deg"] is None
    json.dumps(metrics, allow_nan=False)  # metrics without frames are None, never NaN


def test_manual_grade_always_wins(tmp_path):
    records = []
    for pid, auto, reasons in (("p1", 0, []), ("p2", 2, ["face missing 40% of stimulus time (limit 10% for grade 2)"]),
                               ("p3", 1, ["x (limit 1 for grade 1)"])):
        metrics, _, _ = assess(rested())
        record = {"participant_id": pid, "metrics": metrics, "auto_grade": auto, "reasons": reasons}
        quality.write_json(record, tmp_path / f"{pid}.json")
        records.append(json.loads((tmp_path / f"{pid}.json").read_text()))
    participants = pd.DataFrame({"participant_id": ["p1", "p2", "p3"], "quality_manual": pd.array([2, 0, pd.NA], "Int64")})
    table = quality.quality_table(records, participants).set_index("participant_id")
    assert list(table.columns[-4:]) == ["auto_grade", "manual_grade", "final_grade", "reason"]
    assert list(table["final_grade"]) == [2, 0, 1]
    assert table.loc["p1", "reason"] == (
        "manual grade 2 (participants.tsv quality_manual) overrides automatic grade 0: all metrics within limits"
    )
    assert table.loc["p2", "reason"].startswith("manual grade 0 (participants.tsv quality_manual) overrides automatic grade 2: face missing 40%")
    assert table.loc["p3", "reason"] == "x (limit 1 for grade 1)"
    assert pd.isna(table.loc["p3", "manual_grade"])


def test_no_frames_at_all_is_grade_3(tmp_path):
    # extraction.on_error: empty writes a zero-row frames table for an unreadable video
    from mimicry.epochs import participant_reactions, read_frames
    from mimicry.extract import empty_frames, frame_table

    frame_table(empty_frames()).to_parquet(tmp_path / "p1.parquet")
    frames = read_frames(tmp_path / "p1.parquet", "p1")
    metrics, grade, reasons = assess(frames)
    assert grade == 3 and reasons[0] == "face missing 100% of stimulus time (limit 95% for grade 3)"
    assert metrics["longest_gap_ms"] == 3000.0 and metrics["face_score_median"] is None
    reactions, timecourses = participant_reactions(
        frames, STIMULI, pre_blank_ms=1000.0, post_blank_ms=2000.0, baseline="pre_blank_median", min_coverage=0.5,
        windows=[{"name": "full", "start_ms": 0}], timecourse_reactions=["joy"], bin_ms=100.0,
    )
    assert len(reactions) == 3 * len(REACTIONS) and reactions["max"].isna().all()
    assert (reactions["coverage"] == 0).all() and (reactions["n_frames"] == 0).all() and timecourses.empty
