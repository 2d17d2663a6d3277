# The facial analysis (H2): the study's tables and figures, the analysis unit made explicit, and the
# checks a reviewer asks for (docs/analysis.md). Inputs: the reaction features of the usable participants
# (epochs.smk), the EQ scores (questionnaire.smk), quality.tsv and the participants sheet.
ANALYSIS = config["analysis"]
FACIAL = "4. Analysis"
FACIAL_TABLES = [
    "analysis_sample",
    "reaction_correlations",
    "ols",
    "ols_summary",
    "regression_models",
    "median_split_mwu",
    "glasses_ttest",
    "mimicry_index",
    "mimicry_index_summary",
    "congruence_models",
]
FACIAL_FIGURES = [
    "reactions_by_stimulus_bar",
    "reactions_by_stimulus_box",
    "joy_to_happy_timecourse",
    "congruence_timecourses",
    "congruence_forest",
]
FACIAL_OUTPUTS = (
    [f"results/tables/{name}.tsv" for name in FACIAL_TABLES]
    + [f"results/figures/{name}.{ext}" for name in FACIAL_FIGURES for ext in ("png", "pdf")]
    + ["results/config_used.yaml"]
)

# The rows of the correlations, OLS and regressions (analysis.unit): features.tsv or reactions.parquet.
UNIT_INPUT = {
    "eq": "results/eq_scores.tsv",
    "features": "results/features.tsv",
    "reactions": "results/reactions.parquet",
}
UNIT_PARAMS = {"unit": ANALYSIS["unit"], "window": config["features"]["window"]}
# Who the notes of a statistic that cannot be computed count: "2 usable participants (quality grade 0)".
MAX_GRADE = config["quality"]["max_grade"]


rule config_used:
    """The configuration of this run, for the report."""
    output:
        report("results/config_used.yaml", caption="../report/config_used.rst", category="0. Configuration"),
    log:
        "results/logs/config_used.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        config=config,
    script:
        "../scripts/config_used.py"


rule facial_figures:
    """Figures 7-9: reactions by stimulus emotion (bars, boxes), joy to happy faces over time."""
    input:
        reactions="results/reactions.parquet",
        timecourses="results/timecourses.parquet",
    output:
        bar=report(
            "results/figures/reactions_by_stimulus_bar.png",
            caption="../report/reactions_by_stimulus_bar.rst",
            category=FACIAL,
            subcategory="Figures",
        ),
        bar_pdf="results/figures/reactions_by_stimulus_bar.pdf",
        box=report(
            "results/figures/reactions_by_stimulus_box.png",
            caption="../report/reactions_by_stimulus_box.rst",
            category=FACIAL,
            subcategory="Figures",
        ),
        box_pdf="results/figures/reactions_by_stimulus_box.pdf",
        timecourse=report(
            "results/figures/joy_to_happy_timecourse.png",
            caption="../report/joy_to_happy_timecourse.rst",
            category=FACIAL,
            subcategory="Figures",
        ),
        timecourse_pdf="results/figures/joy_to_happy_timecourse.pdf",
    log:
        "results/logs/facial_figures.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        window=config["features"]["window"],
        combine=config["features"]["combine"],
        max_grade=MAX_GRADE,
    script:
        "../scripts/facial_figures.py"


rule analysis_sample:
    """Who enters the facial analysis, and why not."""
    input:
        quality="results/quality.tsv",
        eq="results/eq_scores.tsv",
        reactions="results/reactions.parquet",
    output:
        report(
            "results/tables/analysis_sample.tsv",
            caption="../report/analysis_sample.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
    log:
        "results/logs/analysis_sample.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/analysis_sample.py"


rule reaction_correlations:
    """Table 1: Pearson r of EQ with each reaction, Fisher-z CI, Benjamini-Hochberg."""
    input:
        **UNIT_INPUT,
    output:
        report(
            "results/tables/reaction_correlations.tsv",
            caption="../report/reaction_correlations.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
    log:
        "results/logs/reaction_correlations.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        **UNIT_PARAMS,
        max_grade=MAX_GRADE,
        alpha=ANALYSIS["alpha"],
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/reaction_correlations.py"


rule ols:
    """Table 2: OLS of EQ on the 27 reactions (cluster-robust by participant in participant_stimulus)."""
    input:
        **UNIT_INPUT,
    output:
        coef=report(
            "results/tables/ols.tsv",
            caption="../report/ols.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
        summary=report(
            "results/tables/ols_summary.tsv",
            caption="../report/ols_summary.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
    log:
        "results/logs/ols.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        **UNIT_PARAMS,
        max_grade=MAX_GRADE,
        confidence=ANALYSIS["confidence"],
    script:
        "../scripts/ols.py"


rule regression_models:
    """Table 3: nine predictive models, out-of-sample R2 and permutation p-values."""
    input:
        **UNIT_INPUT,
    output:
        report(
            "results/tables/regression_models.tsv",
            caption="../report/regression_models.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
    log:
        "results/logs/regression_models.log",
    benchmark:
        "results/benchmarks/regression_models.tsv"
    conda:
        "../../environment.yml"
    params:
        **UNIT_PARAMS,
        **{k: ANALYSIS[k] for k in ("seed", "test_size", "cv_folds", "elastic_net", "n_permutations")},
        max_grade=MAX_GRADE,
    script:
        "../scripts/regression_models.py"


rule group_tests:
    """Median-split Mann-Whitney U and glasses t-test of per-participant reaction measures."""
    input:
        eq="results/eq_scores.tsv",
        reactions="results/reactions.parquet",
        participants=SHEETS["participants"],
    output:
        mwu=report(
            "results/tables/median_split_mwu.tsv",
            caption="../report/median_split_mwu.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
        glasses=report(
            "results/tables/glasses_ttest.tsv",
            caption="../report/glasses_ttest.rst",
            category=FACIAL,
            subcategory="Study tables",
        ),
    log:
        "results/logs/group_tests.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        measures=ANALYSIS["measures"],
        combine=config["features"]["combine"],
        median_split=ANALYSIS["median_split"],
        welch=ANALYSIS["welch"],
        max_grade=MAX_GRADE,
    script:
        "../scripts/group_tests.py"


rule mimicry_index:
    """Congruent-mimicry index per participant, its correlation with EQ and split-half reliability."""
    input:
        eq="results/eq_scores.tsv",
        reactions="results/reactions.parquet",
    output:
        index=report(
            "results/tables/mimicry_index.tsv",
            caption="../report/mimicry_index.rst",
            category=FACIAL,
            subcategory="Honest extras",
        ),
        summary=report(
            "results/tables/mimicry_index_summary.tsv",
            caption="../report/mimicry_index_summary.rst",
            category=FACIAL,
            subcategory="Honest extras",
        ),
    log:
        "results/logs/mimicry_index.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        congruent=ANALYSIS["congruent"],
        window=config["features"]["window"],
        confidence=ANALYSIS["confidence"],
        max_grade=MAX_GRADE,
    script:
        "../scripts/mimicry_index.py"


rule congruence_models:
    """Mixed models of congruent vs incongruent trial responses (participant and stimulus random intercepts)."""
    input:
        trials="results/trials.parquet",
        eq="results/eq_scores.tsv",
    output:
        report(
            "results/tables/congruence_models.tsv",
            caption="../report/congruence_models.rst",
            category=FACIAL,
            subcategory="Mimicry models",
        ),
    log:
        "results/logs/congruence_models.log",
    benchmark:
        "results/benchmarks/congruence_models.tsv"
    conda:
        "../../environment.yml"
    params:
        congruence=ANALYSIS["congruence"],
        confidence=ANALYSIS["confidence"],
        max_grade=MAX_GRADE,
    script:
        "../scripts/congruence_models.py"


rule congruence_figures:
    """Congruent vs incongruent time courses per test; forest plots of the congruence effect and x EQ."""
    input:
        trials="results/trials.parquet",
        models="results/tables/congruence_models.tsv",
    output:
        timecourses=report(
            "results/figures/congruence_timecourses.png",
            caption="../report/congruence_timecourses.rst",
            category=FACIAL,
            subcategory="Mimicry models",
        ),
        timecourses_pdf="results/figures/congruence_timecourses.pdf",
        forest=report(
            "results/figures/congruence_forest.png",
            caption="../report/congruence_forest.rst",
            category=FACIAL,
            subcategory="Mimicry models",
        ),
        forest_pdf="results/figures/congruence_forest.pdf",
    log:
        "results/logs/congruence_figures.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        congruence=ANALYSIS["congruence"],
        confidence=ANALYSIS["confidence"],
        max_grade=MAX_GRADE,
    script:
        "../scripts/congruence_figures.py"
