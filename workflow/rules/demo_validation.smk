# The demo study checked against its ground truth (validate_demo, part of `rule all` with the demo), and
# the power of its design over cohort sizes and planted effects (power, on demand only:
# `snakemake --cores all power`). Both are calibrated fast paths over the one demo run, docs/demo.md.

#: What validation adds to `rule all` (the demo only: a real study has no ground truth).
DEMO_VALIDATION_OUTPUTS = ["results/tables/demo_recovery.tsv"] if DEMO else []
DEMO_VALIDATION = "5. Demo validation"


rule validate_demo:
    """Planted vs recovered: EQ-reaction correlation, congruence and its EQ moderation, latencies, quality; the transfers."""
    input:
        truth=f"{DEMO_DIR}/truth.tsv",
        events=expand(f"{DEMO_DIR}/truth/{{participant}}.tsv", participant=PARTICIPANTS),
        reactions="results/reactions.parquet",
        eq="results/eq_scores.tsv",
        quality="results/quality.tsv",
        index_summary="results/tables/mimicry_index_summary.tsv",
        trials="results/trials.parquet",
        congruence="results/tables/congruence_models.tsv",
    output:
        recovery=report(
            "results/tables/demo_recovery.tsv", caption="../report/demo_recovery.rst", category=DEMO_VALIDATION
        ),
        calibration=report(
            "results/tables/demo_calibration.tsv", caption="../report/demo_calibration.rst", category=DEMO_VALIDATION
        ),
        transfer=report(
            "results/tables/demo_transfer.tsv", caption="../report/demo_transfer.rst", category=DEMO_VALIDATION
        ),
    log:
        "results/logs/validate_demo.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        demo=config["demo"],
        congruence=config["analysis"]["congruence"],
        eq_r=config["demo"]["reactions"]["eq_r"],
        max_grade=config["quality"]["max_grade"],
        confidence=config["analysis"]["confidence"],
        window=config["features"]["window"],
        validation=config["demo_validation"],
    script:
        "../scripts/validate_demo.py"


rule power:
    """Detection rates of the EQ-reaction correlation and of the congruence x EQ interaction over sizes x effects (calibrated fast path)."""
    input:
        calibration="results/tables/demo_calibration.tsv",
        transfer="results/tables/demo_transfer.tsv",
    output:
        table=report("results/tables/power.tsv", caption="../report/power.rst", category=DEMO_VALIDATION),
        figure=report("results/figures/power.png", caption="../report/power.rst", category=DEMO_VALIDATION),
    log:
        "results/logs/power.log",
    benchmark:
        "results/benchmarks/power.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    params:
        demo=config["demo"],
        grid=config["demo_validation"]["power"],
        alpha=config["analysis"]["alpha"],
        confidence=config["analysis"]["confidence"],
        congruence=config["analysis"]["congruence"],
    script:
        "../scripts/power.py"
