"""The whole chain on the simulator's tiny study: rendered videos -> MediaPipe -> frames -> grades and features.

Four demo participants, three with a planted problem (camera off for 4 s, a hand over the mouth for 4 s,
talking in half of the blanks; demo.problems). Checked against the simulator's ground truth: the clean
participant is grade 0, talking is a major issue (2), the 4 s camera-off stretch is at least minor (1), the
4 s hand over the mouth is at least minor (1) for a covered mouth (the lower face's edges; the face mesh tracks through
the hand with a high face score), and the recovered smiles line up in time with the planted ones. Every participant
gets a QC page, and one annotated video is decoded back.
"""

import cv2
import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_snakemake, tiny_config
from mimicry.simulate.cohort import participant_ids
from mimicry.simulate.render import envelope

pytestmark = [pytest.mark.slow, pytest.mark.workflow]

#: Lags (ms) tried when aligning a recovered time course with its planted one, in 5 ms steps.
LAGS_MS = np.arange(-1000.0, 1000.0 + 1, 5.0)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo_full")
    config = tiny_config(n_participants=4)
    config["demo"]["problems"]["fraction"] = 0.75
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])
    pages = [f"results/qc/{p}.png" for p in participant_ids(4)]
    targets = ["results/quality.tsv", "results/features.tsv", "results/reactions.parquet", *pages, "results/qc/demo001.mp4"]
    run_snakemake(workdir, config, *targets)
    truth = pd.read_csv(workdir / "resources/demo/truth.tsv", sep="\t").set_index("participant_id")
    quality = pd.read_csv(workdir / "results/quality.tsv", sep="\t").set_index("participant_id")
    return workdir, truth, quality


def test_grades_follow_the_planted_problems(study):
    _, truth, quality = study
    problem = truth["problem"]
    assert set(problem) == {"none", "camera_off", "hand_over_mouth", "talking"}
    clean = problem.index[problem == "none"]
    assert (quality.loc[clean, "final_grade"] == 0).all()
    talking = problem.index[problem == "talking"][0]
    assert quality.loc[talking, "final_grade"] == 2
    assert quality.loc[talking, "reason"].startswith("mouth moving (talking, eating)")
    camera_off = problem.index[problem == "camera_off"][0]
    assert quality.loc[camera_off, "final_grade"] >= 1 and "face lost" in quality.loc[camera_off, "reason"]
    hand = problem.index[problem == "hand_over_mouth"][0]
    assert quality.loc[hand, "final_grade"] >= 1 and "mouth covered (occlusion" in quality.loc[hand, "reason"]
    assert not quality.loc[problem.index[problem != "hand_over_mouth"], "reason"].str.contains("mouth covered").any()


def test_qc_pages_and_the_annotated_video(study):
    workdir, truth, _ = study
    for participant in truth.index:
        page = cv2.imread(str(workdir / f"results/qc/{participant}.png"))
        assert page is not None and page.shape[:2] == (1100, 1600)
    source, annotated = (cv2.VideoCapture(str(p)) for p in (workdir / "resources/demo/videos/demo001.mp4",
                                                              workdir / "results/qc/demo001.mp4"))
    counts = []
    for cap in (source, annotated):
        n, size = 0, None
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            n, size = n + 1, frame.shape
        counts.append((n, size, round(cap.get(cv2.CAP_PROP_FPS), 3)))
        cap.release()
    assert counts[0][0] > 0 and counts[1] == counts[0]


def time_lag(times_ms: np.ndarray, scores: np.ndarray, event) -> float:
    """Lag (ms, > 0 late) of a recovered reaction behind its planted one: the shift of the planted time course
    (``render.envelope`` through the event's start_ms, peak_ms and end_ms) whose Pearson correlation with the
    recovered scores (0-100) at ``times_ms`` (ms from the video start) is largest, in LAGS_MS.

    It uses the whole reaction (its steep rise and its fall), so it stays defined where the scorer saturates and
    the recovered peak is a plateau of near-equal frames, on which the first frame at the max is decided by noise.
    """
    with np.errstate(invalid="ignore", divide="ignore"):  # a shift that leaves no planted change: r is NaN
        r = [np.corrcoef(scores, envelope(times_ms - lag, event.start_ms, event.peak_ms, event.end_ms))[0, 1]
             for lag in LAGS_MS]
    return float(LAGS_MS[np.nanargmax(r)])


def test_usable_participants_and_aligned_peaks(study):
    workdir, truth, quality = study
    usable = sorted(quality.index[quality["final_grade"] == 0])
    features = pd.read_csv(workdir / "results/features.tsv", sep="\t")
    assert sorted(features["participant_id"]) == usable
    reactions = pd.read_parquet(workdir / "results/reactions.parquet")
    stimuli = pd.read_csv(workdir / "resources/demo/stimuli.tsv", sep="\t")
    events = pd.concat(pd.read_csv(workdir / f"resources/demo/truth/{p}.tsv", sep="\t") for p in usable)
    smiles = events[(events["event"] == "reaction") & (events["reaction"] == "smile")].merge(
        reactions[reactions["window"] == "full"], on=["participant_id", "stimulus", "reaction"], suffixes=("_truth", "")
    ).merge(stimuli[["participant_id", "stimulus", "onset_ms", "duration_ms"]], on=["participant_id", "stimulus"])
    assert len(smiles) >= 4
    # the recovered peak (first frame at the max) falls inside the planted reaction, from its start to its end
    assert (smiles["peak_latency_ms"] >= smiles["onset_latency_ms"]).all()
    assert (smiles["peak_latency_ms"] <= smiles["end_ms"] - smiles["onset_ms"]).all()
    # the recovered smiles line up with the planted ones within a few frames (15 fps: 67 ms a frame); the lag of
    # the whole time course, not the peak frame's, which a saturated score leaves on a plateau (docs/demo.md)
    lags = []
    for smile in smiles.itertuples():
        frames = pd.read_parquet(workdir / f"results/frames/{smile.participant_id}.parquet")
        shown = frames[frames["face"] & (frames["time_ms"] >= smile.onset_ms)
                       & (frames["time_ms"] < smile.onset_ms + smile.duration_ms)]
        lags.append(time_lag(shown["time_ms"].to_numpy(), shown["smile"].to_numpy(), smile))
    assert np.median(np.abs(lags)) < 150, lags
