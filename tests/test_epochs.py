"""Stimulus alignment, baselines and reaction features on hand-built frame tables with known answers."""

import numpy as np
import pandas as pd
import pytest

from mimicry import epochs
from mimicry.names import FRAME_COLUMNS, POSE, REACTIONS

INTERVAL = 40.0  # ms, 25 frames per second; multiples of 40 are exact in floating point
WINDOWS = [{"name": "full", "start_ms": 0}, {"name": "early", "start_ms": 0, "end_ms": 2000}]

#: Three 3 s faces with 2 s blanks; the recording ends 2 s after the last face.
STIMULI = pd.DataFrame(
    {
        "participant_id": "p1",
        "stimulus": ["AF01HAS", "AF01NES", "AF01ANS"],
        "stimulus_emotion": ["happy", "neutral", "angry"],
        "identity": "AF01",
        "block": 1,
        "onset_ms": [1000.0, 6000.0, 11000.0],
        "duration_ms": 3000.0,
    }
)


def frames_table(end_ms=16000.0, level=5.0, pid="p1") -> pd.DataFrame:
    """A recording with a face in every frame and every reaction at ``level``."""
    t = np.arange(0.0, end_ms, INTERVAL)
    df = pd.DataFrame({"participant_id": pid, "frame": np.arange(len(t)), "time_ms": t, "face": True, "face_score": 0.9})
    for column in REACTIONS:
        df[column] = level
    for column in POSE:
        df[column] = 0.0
    return df[list(FRAME_COLUMNS)]


def smile_study() -> pd.DataFrame:
    """Joy and smile ramp 5 -> 85 over the first 2 s of the happy face, then hold 85 until its offset.

    The blank before the happy face has joy 10 (its pre-blank median); the neutral face has joy 20; the
    angry face has no face for its first 1800 ms (45 of 75 frames).
    """
    df = frames_table()
    t = df["time_ms"]
    rel = t - 1000.0
    ramp = np.where(rel < 2000, 5 + 80 * rel / 2000, 85.0)
    happy = (t >= 1000) & (t < 4000)
    for column in ("joy", "smile"):
        df.loc[happy, column] = ramp[happy]
        df.loc[t < 1000, column] = 10.0
    df.loc[(t >= 6000) & (t < 9000), "joy"] = 20.0
    gone = (t >= 11000) & (t < 12800)
    df.loc[gone, "face"] = False
    df.loc[gone, ["face_score", *REACTIONS, *POSE]] = np.nan
    return df


def features(frames, baseline="none", pre_blank_ms=1000.0, min_coverage=0.5, stimuli=STIMULI):
    out, _ = epochs.participant_reactions(
        frames, stimuli, pre_blank_ms=pre_blank_ms, post_blank_ms=2000.0, baseline=baseline, min_coverage=min_coverage,
        windows=WINDOWS, timecourse_reactions=["joy"], bin_ms=100.0,
    )
    return out.set_index(["stimulus", "reaction", "window"])


def test_smile_ramp_features_match_hand_worked_numbers():
    out = features(smile_study())
    full, early = out.loc[("AF01HAS", "joy", "full")], out.loc[("AF01HAS", "joy", "early")]
    # full: 75 frames; 50 ramp frames 5 + 1.6 k (k = 0..49, sum 2210) then 25 frames at 85 (first at 2000 ms).
    assert full["max"] == pytest.approx(85.0)
    assert full["peak_latency_ms"] == pytest.approx(2000.0)
    assert full["mean"] == pytest.approx((2210 + 25 * 85) / 75)
    assert (full["n_frames"], full["coverage"]) == (75, 1.0)
    # early (0-2000 ms): the 50 ramp frames, the last (k = 49, 1960 ms) is the max 83.4.
    assert early["max"] == pytest.approx(83.4)
    assert early["peak_latency_ms"] == pytest.approx(1960.0)
    assert early["mean"] == pytest.approx(2210 / 50)
    assert early["n_frames"] == 50
    assert out.loc[("AF01HAS", "smile", "full"), "max"] == pytest.approx(85.0)
    assert out.loc[("AF01HAS", "brow_furrow", "full"), "max"] == pytest.approx(5.0)


def test_long_table_columns_and_rows():
    out = features(smile_study()).reset_index()
    assert list(out.columns[:3]) == ["stimulus", "reaction", "window"]
    assert set(epochs.REACTION_SCHEMA.names) == set(out.columns)
    assert len(out) == len(STIMULI) * len(REACTIONS) * len(WINDOWS)
    assert set(out["baseline"]) == {"none"}
    assert (out.loc[out["stimulus"] == "AF01HAS", "stimulus_emotion"] == "happy").all()


@pytest.mark.parametrize(("mode", "base"), [("none", 0.0), ("pre_blank_median", 10.0), ("neutral_median", 20.0)])
def test_baseline_modes_subtract_their_median(mode, base):
    out = features(smile_study(), baseline=mode)
    row = out.loc[("AF01HAS", "joy", "full")]
    assert row["max"] == pytest.approx(85.0 - base)
    assert row["mean"] == pytest.approx((2210 + 25 * 85) / 75 - base)
    assert row["peak_latency_ms"] == pytest.approx(2000.0)
    assert row["baseline"] == mode
    # pre_median: the pre-stimulus blank's median (10 in smile_study) in the same baseline's units
    assert row["pre_median"] == pytest.approx(10.0 - base)


def test_pre_blank_median_stays_out_of_the_previous_face():
    # The neutral face's pre-blank is 4000-6000 ms; with pre_blank_ms 5000 it must still start at the happy
    # face's offset (4000), not take in the 85s shown before it.
    df = smile_study()
    df.loc[(df["time_ms"] >= 4000) & (df["time_ms"] < 6000), "joy"] = 3.0
    out = features(df, baseline="pre_blank_median", pre_blank_ms=5000.0)
    assert out.loc[("AF01NES", "joy", "full"), "max"] == pytest.approx(20.0 - 3.0)


def test_low_coverage_window_gives_nan_not_max_of_remaining_frames():
    out = features(smile_study())
    full, early = out.loc[("AF01ANS", "joy", "full")], out.loc[("AF01ANS", "joy", "early")]
    assert full["coverage"] == pytest.approx(30 / 75) and full["n_frames"] == 30
    assert early["coverage"] == pytest.approx(5 / 50) and early["n_frames"] == 5
    assert np.isnan(full[["max", "mean", "peak_latency_ms"]].astype(float)).all()
    assert np.isnan(early["max"])
    # the same frames pass with a lower threshold, and then the max is of the face frames only
    lenient = features(smile_study(), min_coverage=0.3)
    assert lenient.loc[("AF01ANS", "joy", "full"), "max"] == pytest.approx(5.0)
    assert np.isnan(lenient.loc[("AF01ANS", "joy", "early"), "max"])


def test_frames_missing_from_the_table_count_against_coverage():
    # The recording stops 600 ms into the angry face: 15 rows of a 75-frame presentation.
    df = frames_table(end_ms=11600.0)
    out = features(df)
    row = out.loc[("AF01ANS", "joy", "full")]
    assert row["coverage"] == pytest.approx(15 / 75)
    assert np.isnan(row["max"])


def test_pre_blank_baseline_without_face_is_nan():
    df = smile_study()
    df.loc[df["time_ms"] < 1000, "face"] = False
    out = features(df, baseline="pre_blank_median")
    assert np.isnan(out.loc[("AF01HAS", "joy", "full"), "max"])
    assert out.loc[("AF01NES", "joy", "full"), "max"] == pytest.approx(20.0 - 5.0)


def test_neutral_baseline_needs_neutral_stimuli():
    stimuli = STIMULI[STIMULI["stimulus_emotion"] != "neutral"].reset_index(drop=True)
    with pytest.raises(ValueError, match="participant p1.*neutral"):
        features(smile_study(), baseline="neutral_median", stimuli=stimuli)


def test_epoch_phases_and_time_since_onset():
    bounds = epochs.epoch_bounds(STIMULI, 1000.0, 1500.0)
    table = epochs.epochs(smile_study(), bounds)
    happy = table[table["stimulus"] == "AF01HAS"]
    counts = happy["phase"].value_counts()
    assert (counts["pre"], counts["stimulus"], counts["post"]) == (25, 75, 38)
    assert happy["time_ms"].min() == -1000.0 and happy["time_ms"].max() == 3000.0 + 1480.0
    stimulus = happy[happy["phase"] == "stimulus"]
    assert stimulus["time_ms"].iloc[0] == 0.0 and stimulus["time_ms"].iloc[-1] == 2960.0


def test_window_is_clipped_to_the_presentation():
    assert epochs.window_span({"name": "w", "start_ms": 0, "end_ms": 10000}, 3000.0) == (0.0, 3000.0)
    assert epochs.window_span({"name": "w", "start_ms": 500}, 3000.0) == (500.0, 3000.0)


def test_coverage_counts_missing_rows():
    assert epochs.coverage(np.ones(25, bool), 2000.0, 40.0) == 0.5
    assert epochs.coverage(np.r_[np.ones(30, bool), np.zeros(20, bool)], 2000.0, 40.0) == 0.6
    assert epochs.coverage(np.array([], bool), 0.0, 40.0) == 0.0


def test_timecourse_bins_hold_the_mean_of_the_ramp():
    stimuli = STIMULI
    frames = smile_study()
    bounds = epochs.epoch_bounds(stimuli, 1000.0, 2000.0)
    table = epochs.epochs(frames, bounds)
    base = epochs.baselines(table, bounds, stimuli, "none", 0.5, INTERVAL)
    tc = epochs.timecourses(table, stimuli, base, ["joy"], 200.0, "none")
    assert list(tc.columns) == epochs.TIMECOURSE_SCHEMA.names
    happy = tc[tc["stimulus"] == "AF01HAS"].set_index("time_ms")["value"]
    # bin [200, 400): frames at 200, 240, 280, 320, 360 ms -> 5 + 0.04 t, mean at t = 280
    assert happy.loc[200.0] == pytest.approx(5 + 0.04 * 280)
    assert happy.loc[-1000.0] == pytest.approx(10.0)
    assert happy.loc[2800.0] == pytest.approx(85.0)
    angry = tc[tc["stimulus"] == "AF01ANS"]["time_ms"]
    assert angry.min() < 0 and not ((angry >= 0) & (angry < 1800)).any()  # no bins without a face


def imotions_names(time_ms, stimuli):
    """A StimulusName column: the stimulus name while it is on screen, 'Blank' otherwise."""
    names = np.full(len(time_ms), "Blank", dtype=object)
    for row in stimuli.itertuples():
        names[(time_ms >= row.onset_ms) & (time_ms < row.onset_ms + row.duration_ms)] = row.stimulus
    return names


def test_imotions_stimulus_names_give_the_stimulus_log():
    t = frames_table()["time_ms"].to_numpy()
    names = imotions_names(t, STIMULI)
    derived = epochs.stimuli_from_names("p1", t, names)
    pd.testing.assert_frame_equal(derived, STIMULI.astype({"block": "int64"}), check_dtype=False)


def test_imotions_names_emotions_blocks_extensions_and_end_of_recording():
    t = np.arange(0.0, 1000.0, 100.0)
    names = ["", "BM13SUS.jpg", "BM13SUS.jpg", None, "AF01DIS", "AF01DIS", "EQ", "bm13nes", "bm13nes", "bm13nes"]
    derived = epochs.stimuli_from_names("p9", t, names)
    assert list(derived["stimulus"]) == ["BM13SUS", "AF01DIS", "BM13NES"]
    assert list(derived["stimulus_emotion"]) == ["surprised", "disgusted", "neutral"]
    assert list(derived["identity"]) == ["BM13", "AF01", "BM13"]
    assert list(derived["block"]) == [1, 2, 1]
    assert list(derived["onset_ms"]) == [100.0, 400.0, 700.0]
    assert list(derived["duration_ms"]) == [200.0, 200.0, 300.0]  # the last run ends one frame after its last frame


def test_imotions_repeated_stimulus_is_an_error():
    with pytest.raises(ValueError, match="p9.*AF01HAS at 0, 200 ms"):
        epochs.stimuli_from_names("p9", [0.0, 100.0, 200.0, 300.0], ["AF01HAS", "Blank", "AF01HAS", "Blank"])


def test_participant_stimuli_prefers_the_sheet_then_the_frames_column():
    frames = frames_table()
    frames["stimulus"] = imotions_names(frames["time_ms"].to_numpy(), STIMULI.iloc[:2])
    sheet = pd.concat([STIMULI, STIMULI.assign(participant_id="p2")], ignore_index=True)
    assert list(epochs.participant_stimuli("p1", sheet, frames)["stimulus"]) == list(STIMULI["stimulus"])
    assert list(epochs.participant_stimuli("p1", sheet.iloc[3:], frames)["stimulus"]) == ["AF01HAS", "AF01NES"]
    with pytest.raises(ValueError, match="participant p1: no stimulus presentations"):
        epochs.participant_stimuli("p1", sheet.iloc[3:], frames.drop(columns="stimulus"))


def test_read_frames_names_file_participant_and_row(tmp_path):
    path = tmp_path / "p1.parquet"
    df = frames_table(end_ms=400.0)
    df.loc[5, "time_ms"] = 100.0
    df.to_parquet(path)
    with pytest.raises(ValueError, match=r"p1\.parquet: participant p1, row 5 \(frame 5\): time_ms goes back"):
        epochs.read_frames(path, "p1")
    df.drop(columns="joy").to_parquet(path)
    with pytest.raises(ValueError, match="lack column.*joy"):
        epochs.read_frames(path, "p1")


def test_stimulus_digests_change_only_for_the_edited_participant():
    sheet = pd.concat([STIMULI, STIMULI.assign(participant_id="p2")], ignore_index=True)
    before = epochs.stimulus_digests(sheet)
    edited = sheet.copy()
    edited.loc[edited["participant_id"] == "p2", "onset_ms"] += 40
    after = epochs.stimulus_digests(pd.concat([edited, STIMULI.assign(participant_id="p3")]))
    assert before["p1"] == after["p1"] and before["p2"] != after["p2"] and "p3" in after


def test_imotions_export_through_the_real_importer_gives_stimuli_and_features(tmp_path):
    """An AFFDEX text export in iMotions' layout (as in test_importers) read by mimicry.importers: the
    StimulusName column gives the stimulus log, and joy during the happy face gives its features."""
    from mimicry.extract import frame_table
    from mimicry.importers import read_export

    t = np.arange(0.0, 16000.0, INTERVAL)
    names = imotions_names(t, STIMULI)
    joy = np.where(names == "AF01HAS", 5 + 80 * np.clip((t - 1000) / 2000, 0, 1), 5.0)
    header = ["StudyName", "Name", "StimulusName", "Timestamp", "Joy", "Smile", "Mouth Open", "Pitch", "Yaw", "Roll"]
    rows = [["S", "P", n, f"{ms:g}", f"{j:g}", "5", "5", "0", "0", "0"] for n, ms, j in zip(names, t, joy)]
    path = tmp_path / "p7.txt"
    path.write_text("#Study : S\n#Version : 9.0\n\n" + "\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    frames = frame_table(read_export(path, "imotions", "p7"))
    stimuli = epochs.participant_stimuli("p7", STIMULI.iloc[:0], frames)
    pd.testing.assert_frame_equal(stimuli, STIMULI.assign(participant_id="p7").astype({"block": "int64"}),
                                  check_dtype=False)
    out = features(frames, stimuli=stimuli)
    assert out.loc[("AF01HAS", "joy", "full"), "max"] == pytest.approx(85.0)
    assert out.loc[("AF01HAS", "joy", "full"), "peak_latency_ms"] == pytest.approx(2000.0)
    assert np.isnan(out.loc[("AF01HAS", "fear", "full"), "max"])  # not in this export


def test_stimuli_past_the_end_are_named():
    from mimicry.epochs import stimuli_past_end

    frames = pd.DataFrame({"time_ms": [0.0, 500.0, 1000.0]})
    stimuli = pd.DataFrame({"stimulus": ["A", "B"], "onset_ms": [100.0, 800.0], "duration_ms": [500.0, 400.0]})
    assert stimuli_past_end(frames, stimuli) == [
        "stimulus B (800-1200 ms) ends after the recording's last frame (1000 ms); frames past the end count as "
        "missing (coverage)"
    ]
