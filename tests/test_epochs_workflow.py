"""Quality, reaction features and the fan-in run for real with snakemake on hand-built frames files.

The frames are written into results/frames/ by the test and snakemake is limited (--allowed-rules) to
the rules under test, so the frames are source files here, whatever rule makes them in a full run.
"""

import shutil

import numpy as np
import pandas as pd
import pytest

from mimicry.names import POSE, REACTIONS

from conftest import run_snakemake, tiny_config
from test_epochs import INTERVAL, STIMULI, frames_table

pytestmark = pytest.mark.workflow

RULES = ["quality_metrics", "quality_table", "reaction_features", "usable_reactions", "feature_matrix"]
TARGETS = ["results/quality.tsv", "results/reactions.parquet", "results/timecourses.parquet", "results/features.tsv"]


def snakemake(workdir, config, *args, rules=RULES):
    return run_snakemake(workdir, config, "--allowed-rules", *rules, *args, "--", *TARGETS)


def ramp_frames(pid, stimuli, end_ms, peaks) -> pd.DataFrame:
    """Every reaction at 5; joy ramps 5 -> peak over the first 1000 ms of each stimulus in ``peaks``."""
    df = frames_table(end_ms=end_ms, pid=pid)
    t = df["time_ms"].to_numpy()
    for row in stimuli.itertuples():
        if row.stimulus in peaks:
            rel = t - row.onset_ms
            on = (rel >= 0) & (rel < row.duration_ms)
            df.loc[on, "joy"] = 5 + (peaks[row.stimulus] - 5) * np.minimum(rel[on] / 1000, 1)
    return df


def camera_off(df: pd.DataFrame) -> pd.DataFrame:
    df["face"] = False
    df[["face_score", *REACTIONS, *POSE]] = np.nan
    return df


def pending(proc) -> set[str]:
    """Output files that snakemake --summary plans to update."""
    lines = [line.split("\t") for line in proc.stdout.splitlines() if line.count("\t") >= 5]
    return {cells[0] for cells in lines[1:] if cells[-1] == "update pending"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's sheets (3 participants); frames with a joy ramp in every happy face, camera off for demo003."""
    workdir = tmp_path_factory.mktemp("demo")
    config = tiny_config(n_participants=3)
    run_snakemake(workdir, config, "--allowed-rules", "demo_cohort", "--", "resources/demo/stimuli.tsv")
    stimuli = pd.read_csv(workdir / "resources/demo/stimuli.tsv", sep="\t")
    end = (stimuli["onset_ms"] + stimuli["duration_ms"]).max() + 2000
    planted = {}
    for i, (pid, rows) in enumerate(stimuli.groupby("participant_id"), start=1):
        happy = rows[rows["stimulus_emotion"] == "happy"]
        planted[pid] = {s: 30.0 * i + b for s, b in zip(happy["stimulus"], happy["block"])}
        frames = ramp_frames(pid, rows, end, planted[pid])
        (workdir / "results/frames").mkdir(parents=True, exist_ok=True)
        (camera_off(frames) if pid == "demo003" else frames).to_parquet(workdir / f"results/frames/{pid}.parquet")
    snakemake(workdir, config, rules=["demo_cohort", *RULES])
    return workdir, config, planted


def test_demo_quality_grades(demo):
    workdir, _, _ = demo
    table = pd.read_csv(workdir / "results/quality.tsv", sep="\t").set_index("participant_id")
    assert list(table["final_grade"]) == [0, 0, 3]
    assert table.loc["demo001", "reason"] == "all metrics within limits"
    assert table.loc["demo003", "reason"].startswith("face missing 100% of stimulus time (limit 95% for grade 3); ")


def test_demo_reactions_recover_the_planted_joy(demo):
    workdir, _, planted = demo
    reactions = pd.read_parquet(workdir / "results/reactions.parquet")
    assert sorted(reactions["participant_id"].unique()) == ["demo001", "demo002"]  # grade 3 left out
    assert len(reactions) == 2 * 28 * len(REACTIONS) * 2
    joy = reactions[(reactions["reaction"] == "joy") & (reactions["window"] == "full")]
    for row in joy.itertuples():
        expected = planted[row.participant_id].get(row.stimulus, 5.0)
        assert row.max == pytest.approx(expected), (row.participant_id, row.stimulus)
        assert row.peak_latency_ms == pytest.approx(1000.0 if row.stimulus in planted[row.participant_id] else 0.0)
        assert row.coverage == 1.0 and row.n_frames == 3000 / INTERVAL


def test_demo_features_are_the_max_over_stimuli(demo):
    workdir, _, planted = demo
    features = pd.read_csv(workdir / "results/features.tsv", sep="\t").set_index("participant_id")
    assert list(features.index) == ["demo001", "demo002"]
    for pid in features.index:
        assert features.loc[pid, "joy"] == pytest.approx(max(planted[pid].values()))
        # early window 0-2000 ms holds the peak too (the ramp is 1000 ms)
        assert features.loc[pid, "joy_early"] == pytest.approx(max(planted[pid].values()))
        assert features.loc[pid, "smile"] == pytest.approx(5.0)


def test_demo_timecourses(demo):
    workdir, config, planted = demo
    tc = pd.read_parquet(workdir / "results/timecourses.parquet")
    assert sorted(tc["participant_id"].unique()) == ["demo001", "demo002"]
    assert set(tc["reaction"]) == {"joy"}
    one = tc[(tc["participant_id"] == "demo001") & (tc["stimulus"] == next(iter(planted["demo001"])))]
    value = one.set_index("time_ms")["value"]
    assert value.loc[1500.0] == pytest.approx(next(iter(planted["demo001"].values())))
    assert value.loc[-100.0] == pytest.approx(5.0)


def test_demo_new_sheets_rerun_everything(demo):
    # the demo's sheets come from a rule: when it runs again, the per-participant jobs follow
    workdir, config, _ = demo
    config = tiny_config(n_participants=3, seed=8)
    plan = pending(snakemake(workdir, config, "--summary", rules=["demo_cohort", *RULES]))
    assert {f"results/quality/demo00{i}.json" for i in (1, 2, 3)} <= plan
    assert {f"results/reactions/demo00{i}.parquet" for i in (1, 2, 3)} <= plan


def write_study(workdir, ids, manual):
    pd.DataFrame(
        {"participant_id": ids, "gender": "female", "age_band": "18-24", "ethnicity": "White British",
         "glasses": "no", "quality_manual": [manual.get(p, "") for p in ids]}
    ).to_csv(workdir / "participants.tsv", sep="\t", index=False)
    pd.DataFrame({"participant_id": ids, **{f"q{i}": "slightly agree" for i in range(1, 61)}}).to_csv(
        workdir / "eq.tsv", sep="\t", index=False
    )
    pd.concat([STIMULI.assign(participant_id=p) for p in ids]).to_csv(workdir / "stimuli.tsv", sep="\t", index=False)


def test_real_study_manual_grade_and_incremental_runs(tmp_path):
    """p1 good, p2 camera off, p3 talks in a blank (automatic 2) but is graded 0 by hand; then p4 joins."""
    config = tiny_config()
    config["demo"]["enabled"] = False
    config["study"].update(participants="participants.tsv", eq_responses="eq.tsv", stimuli="stimuli.tsv")
    write_study(tmp_path, ["p1", "p2", "p3"], {"p3": "0"})
    (tmp_path / "results/frames").mkdir(parents=True)
    peaks = {"AF01HAS": 70.0}
    ramp_frames("p1", STIMULI, 16000.0, peaks).to_parquet(tmp_path / "results/frames/p1.parquet")
    camera_off(ramp_frames("p2", STIMULI, 16000.0, peaks)).to_parquet(tmp_path / "results/frames/p2.parquet")
    talking = ramp_frames("p3", STIMULI, 16000.0, {"AF01HAS": 50.0})
    blank = (talking["time_ms"] >= 4000) & (talking["time_ms"] < 6000)
    talking.loc[blank, "mouth_open"] = 25 + 30 * np.sin(2 * np.pi * 5 * talking.loc[blank, "time_ms"] / 1000)
    talking.to_parquet(tmp_path / "results/frames/p3.parquet")
    snakemake(tmp_path, config)

    table = pd.read_csv(tmp_path / "results/quality.tsv", sep="\t").set_index("participant_id")
    assert list(table["auto_grade"]) == [0, 3, 2] and list(table["final_grade"]) == [0, 3, 0]
    assert table.loc["p3", "reason"] == (
        "manual grade 0 (participants.tsv quality_manual) overrides automatic grade 2: "
        "mouth moving (talking, eating) in 33% of blank face frames (limit 25% for grade 2)"
    )
    features = pd.read_csv(tmp_path / "results/features.tsv", sep="\t").set_index("participant_id")
    assert features["joy"].to_dict() == {"p1": pytest.approx(70.0), "p3": pytest.approx(50.0)}

    # a new participant: only their per-participant jobs and the fan-in are planned
    grown = tmp_path.parent / "grown"
    shutil.copytree(tmp_path, grown)
    write_study(grown, ["p1", "p2", "p3", "p4"], {"p3": "0"})
    ramp_frames("p4", STIMULI, 16000.0, peaks).to_parquet(grown / "results/frames/p4.parquet")
    fan_in = {"results/quality.tsv", "results/reactions.parquet", "results/timecourses.parquet", "results/trials.parquet",
              "results/imotions.parquet", "results/features.tsv"}
    assert pending(snakemake(grown, config, "--summary")) == fan_in | {
        "results/quality/p4.json", "results/reactions/p4.parquet", "results/timecourses/p4.parquet",
        "results/trials/p4.parquet", "results/imotions/p4.parquet",
    }

    # editing one participant's stimulus rows re-runs that participant only (plus the fan-in)
    stimuli = pd.read_csv(tmp_path / "stimuli.tsv", sep="\t")
    stimuli.loc[(stimuli["participant_id"] == "p2") & (stimuli["stimulus"] == "AF01ANS"), "onset_ms"] += 40
    stimuli.to_csv(tmp_path / "stimuli.tsv", sep="\t", index=False)
    assert pending(snakemake(tmp_path, config, "--summary")) == fan_in | {
        "results/quality/p2.json", "results/reactions/p2.parquet", "results/timecourses/p2.parquet",
        "results/trials/p2.parquet", "results/imotions/p2.parquet",
    }
