"""The whole chain on the simulator's tiny study: rendered videos -> MediaPipe -> frames -> grades and features.

Four demo participants, three with a planted problem (camera off for 4 s, a hand over the mouth for 4 s,
talking in half of the blanks; demo.problems). Checked against the simulator's ground truth: the clean
participant is grade 0, talking is a major issue (2), the 4 s camera-off stretch is at least minor (1), and
the reaction peaks line up with the planted ones. The 4 s hand over the mouth is NOT asserted: the face
mesh tracks through the hand with a high face score, so these frame-level metrics miss it (docs/quality.md,
known weaknesses); the manual grade covers it.
"""

import pandas as pd
import pytest

from conftest import REPO, run_snakemake, tiny_config

pytestmark = [pytest.mark.slow, pytest.mark.workflow]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo_full")
    config = tiny_config(n_participants=4)
    config["demo"]["problems"]["fraction"] = 0.75
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])
    run_snakemake(workdir, config, "results/quality.tsv", "results/features.tsv", "results/reactions.parquet")
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


def test_usable_participants_and_aligned_peaks(study):
    workdir, truth, quality = study
    usable = sorted(quality.index[quality["final_grade"] == 0])
    features = pd.read_csv(workdir / "results/features.tsv", sep="\t")
    assert sorted(features["participant_id"]) == usable
    reactions = pd.read_parquet(workdir / "results/reactions.parquet")
    events = pd.concat(pd.read_csv(workdir / f"resources/demo/truth/{p}.tsv", sep="\t") for p in usable)
    smiles = events[(events["event"] == "reaction") & (events["reaction"] == "smile")].merge(
        reactions[reactions["window"] == "full"], on=["participant_id", "stimulus", "reaction"], suffixes=("_truth", "")
    )
    assert len(smiles) >= 4
    # the planted smile peaks are found within a few frames (15 fps: 67 ms a frame) of their time since onset
    assert (smiles["peak_latency_ms"] - smiles["peak_latency_ms_truth"]).abs().median() < 150
