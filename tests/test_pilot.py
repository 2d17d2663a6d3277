"""A pilot too small for statistics still finishes: 0, 1, 2 or a handful of usable participants.

A real study of iMotions exports (tests/test_reliability_inputs.write_study) where participants beyond
the usable ones are graded 2 by hand; the whole workflow runs. Every table and figure is written, every
statistic that is NaN carries a sentence saying why, and run_summary.tsv and the log say the same.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO
from test_reliability_inputs import write_study

pytestmark = pytest.mark.workflow

#: table: the statistic columns that are NaN exactly when the row cannot be computed
STATISTICS = {
    "eq_normality": ["shapiro_w"],
    "eq_ttests": ["t", "p", "cohens_d", "hedges_g"],
    "reaction_correlations": ["r", "ci_low"],
    "ols_summary": ["r2"],
    "ols": ["coef"],
    "regression_models": ["r2", "cv_r2"],
    "median_split_mwu": ["u", "p"],
    "glasses_ttest": ["t", "p", "cohens_d"],
    "mimicry_index_summary": ["t_index", "r_eq", "ci_low", "split_half_r"],
    "congruence_models": ["estimate", "se", "ci_low", "var_residual"],
}
FIGURES = ["reactions_by_stimulus_bar", "reactions_by_stimulus_box", "joy_to_happy_timecourse", "eq_qq",
           "eq_violin_distribution", "congruence_timecourses", "congruence_forest"]


@pytest.fixture(scope="module", params=[(3, 0), (3, 1), (3, 2), (6, 5)], ids=lambda c: f"{c[1]}_of_{c[0]}_usable")
def pilot(request, tmp_path_factory):
    n, usable = request.param
    root = tmp_path_factory.mktemp("pilot")
    write_study(root, n)
    sheet = pd.read_csv(root / "participants.tsv", sep="\t", dtype=str)
    sheet["quality_manual"] = ["0"] * usable + ["2"] * (n - usable)
    sheet.to_csv(root / "participants.tsv", sep="\t", index=False)
    config = {"demo": {"enabled": False},
              "study": {"participants": "participants.tsv", "eq_responses": "eq.tsv", "stimuli": "stimuli.tsv"},
              "analysis": {"n_permutations": 5, "cv_folds": 3}}
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(root), "--configfile",
           str(root / "config.yaml"), "--cores", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return root, usable, proc


def table(root, name):
    return pd.read_csv(root / f"results/tables/{name}.tsv", sep="\t", dtype={"note": str}).fillna({"note": ""})


def test_the_pilot_completes_without_a_traceback(pilot):
    root, _, proc = pilot
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for log in (root / "results/logs").rglob("*.log"):
        assert "Traceback" not in log.read_text(), log
    for name in FIGURES:
        assert (root / f"results/figures/{name}.png").read_bytes()[:4] == b"\x89PNG", name


def test_every_statistic_that_cannot_be_computed_says_why(pilot):
    root, usable, _ = pilot
    for name, columns in STATISTICS.items():
        rows = table(root, name)
        missing = rows[columns].isna().any(axis=1)
        assert (rows.loc[missing, "note"] != "").all(), (name, rows.loc[missing])
    if usable < 3:  # too few for any correlation: the sentence counts the usable participants
        words = f"{usable} usable participant{'' if usable == 1 else 's'} (quality grade 0)"
        assert table(root, "reaction_correlations")["note"].str.startswith(words).all()
        assert table(root, "ols_summary").loc[0, "note"] == (
            f"not estimable: {words}; OLS with 28 parameters needs at least 29")
        assert table(root, "regression_models")["note"].str.startswith(f"{words}; 3-fold").all()


def test_the_computed_statistics_are_scipys(pilot):
    """Where the pilot allows a statistic, it is the independent one (scipy on the files)."""
    root, _, _ = pilot
    from scipy import stats

    features = pd.read_csv(root / "results/features.tsv", sep="\t", dtype={"participant_id": str})
    eq = pd.read_csv(root / "results/eq_scores.tsv", sep="\t", dtype={"participant_id": str})
    merged = features.merge(eq, on="participant_id").dropna(subset=["eq_score", "joy"])
    joy = table(root, "reaction_correlations").set_index("reaction").loc["joy"]
    if len(merged) >= 3 and merged["joy"].nunique() > 1:
        assert joy["r"] == pytest.approx(stats.pearsonr(merged["joy"], merged["eq_score"])[0])
    else:
        assert np.isnan(joy["r"]) and joy["note"]


def test_run_summary_and_the_log_say_the_same(pilot):
    root, _, proc = pilot
    summary = pd.read_csv(root / "results/run_summary.tsv", sep="\t", dtype=str).fillna("")
    notes = summary[summary["status"] == "note"]
    for name in STATISTICS:
        for note in set(table(root, name)["note"]) - {""}:
            assert ((notes["stage"] == f"tables/{name}.tsv") & (notes["message"] == note)).any(), (name, note)
            assert f"tables/{name}.tsv: {note}" in proc.stderr
    assert set(summary.loc[summary["status"] != "note", "status"]) == {"complete"}
