# Recording quality: per participant, metrics and an automatic grade 0-3 with reasons; then one table
# with the manual grades of participants.tsv, which always win (docs/quality.md).
QUALITY_OUTPUTS = ["results/quality.tsv"]

localrules:
    quality_table,


rule quality_metrics:
    """Quality metrics and automatic grade of one participant's frames."""
    input:
        frames="results/frames/{participant}.parquet",
        stimuli=STIMULI_SHEET,
    output:
        "results/quality/{participant}.json",
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        schema=SCHEMAS["stimuli"],
        metrics={k: config["quality"][k] for k in ("occlusion_score", "lip_contrast_ratio", "min_lip_contrast", "mouth", "mouth_window_ms", "mouth_moving_sd")},
        limits=config["quality"]["limits"],
        post_blank_ms=config["epochs"]["post_blank_ms"],
    conda:
        "../../environment.yml"
    log:
        "results/logs/quality/{participant}.log",
    benchmark:
        "results/benchmarks/quality_metrics/{participant}.tsv"
    script:
        "../scripts/quality_participant.py"


rule quality_table:
    """All participants' metrics, automatic, manual and final grades and reasons."""
    input:
        records=expand("results/quality/{participant}.json", participant=PARTICIPANTS),
        participants=SHEETS["participants"],
    output:
        report("results/quality.tsv", caption="../report/quality.rst", category="2. Facial reactions"),
    params:
        schema=SCHEMAS["participants"],
    conda:
        "../../environment.yml"
    log:
        "results/logs/quality_table.log",
    script:
        "../scripts/quality_table.py"
