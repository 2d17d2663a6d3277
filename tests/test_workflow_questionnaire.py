"""The questionnaire branch run for real with snakemake on a tiny generated cohort."""

import pandas as pd
import pytest
from scipy import stats

from mimicry import eq

from conftest import run_snakemake, tiny_config

pytestmark = pytest.mark.workflow

H1_FILES = [
    "results/eq_scores.tsv",
    "results/tables/eq_normality.tsv",
    "results/tables/eq_ttests.tsv",
    "results/figures/eq_qq.png",
    "results/figures/eq_violin_distribution.png",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    config = tiny_config(n_participants=16)
    run_snakemake(workdir, config, *H1_FILES)
    return workdir, config


def test_outputs_exist(run):
    workdir, _ = run
    for name in H1_FILES:
        assert (workdir / name).stat().st_size > 0, name


def test_eq_scores_match_independent_scoring(run):
    workdir, _ = run
    responses = pd.read_csv(workdir / "resources/demo/eq_responses.tsv", sep="\t", dtype=str)
    expected = []
    for _, row in responses.iterrows():
        points = 0
        for i in eq.AGREE_SCORED:
            points += {"strongly agree": 2, "slightly agree": 1}.get(row[f"q{i}"], 0)
        for i in eq.DISAGREE_SCORED:
            points += {"strongly disagree": 2, "slightly disagree": 1}.get(row[f"q{i}"], 0)
        expected.append(points)
    scores = pd.read_csv(workdir / "results/eq_scores.tsv", sep="\t")
    assert list(scores["eq_score"]) == expected
    assert set(scores["status"]) == {"ok"}


def test_ttests_match_scipy(run):
    workdir, config = run
    participants = pd.read_csv(workdir / "resources/demo/participants.tsv", sep="\t")
    scores = pd.read_csv(workdir / "results/eq_scores.tsv", sep="\t").merge(participants)
    table = pd.read_csv(workdir / "results/tables/eq_ttests.tsv", sep="\t")
    assert list(table["comparison"]) == [c["name"] for c in config["demographics"]["comparisons"]]
    gender = table.set_index("comparison").loc["gender"]
    ref = stats.ttest_ind(scores.loc[scores.gender == "male", "eq_score"], scores.loc[scores.gender == "female", "eq_score"])  # male minus female
    assert gender["t"] == pytest.approx(ref.statistic) and gender["p"] == pytest.approx(ref.pvalue)
    assert (table["alpha"] == 0.01).all()


def test_second_run_has_nothing_to_do(run):
    workdir, config = run
    proc = run_snakemake(workdir, config, *H1_FILES, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_invalid_config_is_rejected_with_key_path(tmp_path):
    config = tiny_config()
    config["demographics"]["alpha"] = 1.5
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0
    assert "alpha" in proc.stdout + proc.stderr and "1.5" in proc.stdout + proc.stderr


def test_invalid_real_study_sheet_stops_before_any_output(tmp_path):
    config = tiny_config()
    config["demo"]["enabled"] = False
    (tmp_path / "participants.tsv").write_text("participant_id\tgender\tage_band\tethnicity\tglasses\np 1\tfemale\t18-24\tWhite British\tno\n")
    config["study"].update(participants="participants.tsv", eq_responses="eq.tsv", stimuli="stimuli.tsv")
    proc = run_snakemake(tmp_path, config, check=False)
    assert proc.returncode != 0
    assert "participants.tsv" in proc.stderr and "line 2" in proc.stderr and "participant_id" in proc.stderr
    assert not (tmp_path / "results").exists()
