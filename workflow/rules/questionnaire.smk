# The questionnaire branch: EQ scores and the demographic analysis (H1).


rule score_eq:
    input:
        participants=SHEETS["participants"],
        eq_responses=SHEETS["eq_responses"],
    output:
        report("results/eq_scores.tsv", caption="../report/eq_scores.rst", category="1. Questionnaire"),
    log:
        "results/logs/score_eq.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        eq=config["eq"],
    script:
        "../scripts/score_eq.py"


rule eq_demographics:
    input:
        participants=SHEETS["participants"],
        eq_scores="results/eq_scores.tsv",
    output:
        normality=report(
            "results/tables/eq_normality.tsv", caption="../report/eq_normality.rst", category="1. Questionnaire"
        ),
        ttests=report("results/tables/eq_ttests.tsv", caption="../report/eq_ttests.rst", category="1. Questionnaire"),
        qq=report("results/figures/eq_qq.png", caption="../report/eq_qq.rst", category="1. Questionnaire"),
        violin=report(
            "results/figures/eq_violin_distribution.png",
            caption="../report/eq_violin_distribution.rst",
            category="1. Questionnaire",
        ),
    log:
        "results/logs/eq_demographics.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        demographics=config["demographics"],
    script:
        "../scripts/eq_demographics.py"
