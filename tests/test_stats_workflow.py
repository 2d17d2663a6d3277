"""The facial-analysis rules run for real with snakemake on synthetic reaction features, then --report.

The demo cohort's sheets and EQ scores come from their real rules; the reaction features, time
courses and quality grades (the epochs and quality stages' outputs) are written here, so only the
analysis rules run (``--allowed-rules``) and the test stays fast.
"""

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats


from conftest import run_snakemake, tiny_config
from test_analysis import features_of, synthetic_reactions

pytestmark = pytest.mark.workflow

TABLES = ["analysis_sample", "reaction_correlations", "ols", "ols_summary", "regression_models", "median_split_mwu",
          "glasses_ttest", "mimicry_index", "mimicry_index_summary"]
FIGURES = ["reactions_by_stimulus_bar", "reactions_by_stimulus_box", "joy_to_happy_timecourse"]
FILES = ([f"results/tables/{t}.tsv" for t in TABLES] + [f"results/figures/{f}.{e}" for f in FIGURES for e in ("png", "pdf")]
         + ["results/config_used.yaml"])
RULES = ["demo_cohort", "score_eq", "config_used", "facial_figures", "analysis_sample", "reaction_correlations", "ols",
         "regression_models", "group_tests", "mimicry_index"]
UNUSABLE = "demo002"


def analysis_config(**analysis):
    config = tiny_config()
    config["analysis"].update({"n_permutations": 5, "cv_folds": 3, **analysis})
    return config


def write_upstream(workdir):
    """results/reactions.parquet, features.tsv, timecourses.parquet and quality.tsv for the demo cohort."""
    stimuli = pd.read_csv(workdir / "resources/demo/stimuli.tsv", sep="\t", dtype={"participant_id": str})
    eq = pd.read_csv(workdir / "results/eq_scores.tsv", sep="\t").set_index("participant_id")["eq_score"]
    quality = pd.DataFrame({"participant_id": eq.index, "final_grade": 0, "reason": ""})
    quality.loc[quality.participant_id == UNUSABLE, ["final_grade", "reason"]] = [2, "talking in 40% of blanks"]
    usable = eq.drop(UNUSABLE)
    reactions = synthetic_reactions(stimuli[stimuli.participant_id.isin(usable.index)], usable, seed=3)
    reactions = reactions[["participant_id", "stimulus", "stimulus_emotion", "identity", "block", "reaction", "window",
                           "max", "mean", "peak_latency_ms", "n_frames", "coverage"]]
    reactions.to_parquet(workdir / "results/reactions.parquet", index=False)
    features_of(reactions).to_csv(workdir / "results/features.tsv", sep="\t", index=False)
    t = np.arange(0, 3000, 100.0)
    timecourses = pd.concat(
        [pd.DataFrame({"participant_id": pid, "stimulus": "AF01HAS", "stimulus_emotion": "happy", "reaction": "joy",
                       "time_ms": t, "value": 5 + (g - 30) * np.exp(-((t - 1200) / 500) ** 2) / 3})
         for pid, g in usable.items()]
    )
    timecourses.to_parquet(workdir / "results/timecourses.parquet", index=False)
    quality.to_csv(workdir / "results/quality.tsv", sep="\t", index=False)
    return usable


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("stats")
    config = analysis_config()
    run_snakemake(workdir, config, "results/eq_scores.tsv", "--allowed-rules", "demo_cohort", "score_eq")
    usable = write_upstream(workdir)
    run_snakemake(workdir, config, *FILES, "--allowed-rules", *RULES)
    return workdir, config, usable


def table(workdir, name):
    return pd.read_csv(workdir / f"results/tables/{name}.tsv", sep="\t")


def test_every_table_and_figure_is_written(run):
    workdir, _, _ = run
    for name in FILES:
        assert (workdir / name).stat().st_size > 0, name
    assert (workdir / "results/figures/joy_to_happy_timecourse.png").read_bytes()[:4] == b"\x89PNG"
    assert (workdir / "results/figures/reactions_by_stimulus_bar.pdf").read_bytes()[:5] == b"%PDF-"


def test_correlations_are_those_of_features_tsv_and_eq(run):
    workdir, _, usable = run
    features = pd.read_csv(workdir / "results/features.tsv", sep="\t").set_index("participant_id")
    result = table(workdir, "reaction_correlations").set_index("reaction")
    for reaction in ("joy", "anger", "brow_furrow"):
        ref = stats.pearsonr(features.loc[usable.index, reaction], usable)
        assert result.loc[reaction, "r"] == pytest.approx(ref.statistic)
        assert result.loc[reaction, "p"] == pytest.approx(ref.pvalue)
    assert (result["n"] == len(usable)).all()


def test_the_study_tables_have_their_rows(run):
    workdir, config, usable = run
    sample = table(workdir, "analysis_sample").set_index("participant_id")
    assert not sample.loc[UNUSABLE, "included"] and sample["included"].sum() == len(usable)
    models = table(workdir, "regression_models")
    assert len(models) == 9 and models["note"].isna().all() and (models["n_permutations"] == 5).all()
    assert (models["n_participants_train"] + models["n_participants_test"] >= len(usable)).all()
    # 7 participants cannot estimate 28 OLS parameters: said, not hidden
    assert "not estimable" in table(workdir, "ols_summary").loc[0, "note"]
    assert list(table(workdir, "median_split_mwu")["measure"]) == [m["name"] for m in config["analysis"]["measures"]]
    assert len(table(workdir, "glasses_ttest")) == len(config["analysis"]["measures"])
    summary = table(workdir, "mimicry_index_summary").iloc[0]
    assert summary["n"] == len(usable) and summary["halves"] == "1+3 vs 2+4"


def test_the_study_unit_reruns_only_the_unit_analyses_and_clusters(run):
    workdir, _, usable = run
    config = analysis_config(unit="participant_stimulus")
    plan = run_snakemake(workdir, config, *FILES, "--allowed-rules", *RULES, "-n").stdout
    jobs = set(re.findall(r"^rule (\w+):", plan, flags=re.M))
    assert jobs == {"reaction_correlations", "ols", "regression_models", "config_used"}
    run_snakemake(workdir, config, *FILES, "--allowed-rules", *RULES)
    summary = table(workdir, "ols_summary").iloc[0]
    assert summary["cov_type"] == "cluster" and summary["n"] == 28 * len(usable)
    assert summary["n_participants"] == len(usable)
    coef = table(workdir, "ols").set_index("term")
    assert coef.loc["const", "std_err"] > coef.loc["const", "std_err_iid"]
    assert (table(workdir, "reaction_correlations")["n_participants"] == len(usable)).all()
    used = yaml.safe_load((workdir / "results/config_used.yaml").read_text())
    assert used["analysis"]["unit"] == "participant_stimulus" and used["analysis"]["n_permutations"] == 5


def test_report_gathers_the_facial_analysis(run):
    workdir, config, _ = run
    run_snakemake(workdir, config, *FILES, "--allowed-rules", *RULES, "--report", "results/report.html")
    html = (workdir / "results/report.html").read_text(errors="replace")
    assert "4. Analysis" in html
    for name in ("reaction_correlations.tsv", "regression_models.tsv", "joy_to_happy_timecourse.png", "config_used.yaml"):
        assert name in html


def test_invalid_analysis_config_is_rejected_with_the_key(tmp_path):
    config = analysis_config(unit="stimulus")
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0 and "unit" in proc.stderr + proc.stdout
    config = analysis_config(measures=[{"name": "late_joy", "reaction": "joy", "window": "late"}])
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0 and "analysis.measures[late_joy]: window 'late'" in proc.stderr + proc.stdout
