"""A study run from its own folder, outside the repository: a config that says only what differs from
the defaults, the same study through a Snakemake ``module``, and the template study folder config/."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from mimicry.defaults import fill_defaults, load_defaults

from conftest import REPO
from test_reliability_inputs import write_study

pytestmark = pytest.mark.workflow

TABLES = ["eq_normality", "eq_ttests", "analysis_sample", "reaction_correlations", "ols", "ols_summary",
          "regression_models", "median_split_mwu", "glasses_ttest", "mimicry_index", "mimicry_index_summary"]


def minimal_config() -> dict:
    """What a study's own config says: demo off, its sheets, and small analysis settings to stay fast."""
    return {"demo": {"enabled": False},
            "study": {"participants": "participants.tsv", "eq_responses": "eq.tsv", "stimuli": "stimuli.tsv"},
            "analysis": {"n_permutations": 5, "cv_folds": 3}}


def snakemake(snakefile, workdir, *args) -> subprocess.CompletedProcess:
    """snakemake -s SNAKEFILE -d WORKDIR ARGS, run from the working directory's parent (not the repository)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir.parent)


def assert_complete_study(workdir, proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for table in TABLES:
        assert (workdir / f"results/tables/{table}.tsv").stat().st_size > 0, table
    assert (workdir / "results/logs/score_eq.log").is_file()
    assert not (workdir / "resources/models").exists()  # exports only: no model is built
    scores = pd.read_csv(workdir / "results/eq_scores.tsv", sep="\t", dtype={"participant_id": str})
    assert len(scores) == 6 and scores["eq_score"].between(0, 80).all()


def test_fill_defaults_keeps_what_the_study_says_and_adds_the_rest():
    defaults = load_defaults(REPO / "config.yaml")
    config = fill_defaults({"demo": {"enabled": False}, "demographics": {"comparisons": []}}, defaults)
    assert config["demo"]["enabled"] is False and config["demo"]["seed"] == defaults["demo"]["seed"]
    assert config["demographics"]["comparisons"] == []  # a list replaces the default whole
    assert config["models"]["wheels"] == defaults["models"]["wheels"]


def test_a_study_runs_from_its_own_folder_with_a_minimal_config(tmp_path):
    workdir = tmp_path / "my_study"
    write_study(workdir)
    (workdir / "config.yaml").write_text(yaml.safe_dump(minimal_config()))
    proc = snakemake(REPO / "Snakefile", workdir, "--configfile", str(workdir / "config.yaml"))
    assert_complete_study(workdir, proc)
    summary = pd.read_csv(workdir / "results/run_summary.tsv", sep="\t", dtype=str)
    assert set(summary.loc[summary["participant_id"] != "all", "status"]) == {"complete"}


def test_a_study_runs_through_a_snakemake_module(tmp_path):
    workdir = tmp_path / "my_study"
    write_study(workdir)
    (workdir / "config.yaml").write_text(yaml.safe_dump(minimal_config()))
    (workdir / "Snakefile").write_text(
        'configfile: "config.yaml"\n\n\n'
        f'module mimicry:\n    snakefile:\n        "{REPO / "Snakefile"}"\n    config:\n        config\n\n\n'
        "use rule * from mimicry\n"
    )
    assert_complete_study(workdir, snakemake(workdir / "Snakefile", workdir))


def test_the_template_study_folder_plans_with_only_its_videos_added(tmp_path):
    """config/ copied into a fresh folder, one (empty) file per video: the sheets pass and every job is planned."""
    workdir = tmp_path / "my_study"
    shutil.copytree(REPO / "config", workdir / "config")
    ids = pd.read_csv(workdir / "config/participants.tsv", sep="\t", dtype=str)["participant_id"]
    (workdir / "videos").mkdir()
    for pid in ids:
        (workdir / f"videos/{pid}.mp4").touch()
    proc = snakemake(REPO / "Snakefile", workdir, "--configfile", str(workdir / "config/config.yaml"), "-n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(ids) == ["001", "002", "003"]
    for pid in ids:
        assert f"results/landmarks/{pid}.parquet" in proc.stdout


def test_the_demo_plans_from_any_folder(tmp_path):
    (tmp_path / "config.yaml").write_text("demo:\n  enabled: true\n")
    proc = snakemake(REPO / "Snakefile", tmp_path, "--configfile", str(tmp_path / "config.yaml"), "-n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "demo_cohort" in proc.stdout and "resources/pypi/" in proc.stdout
