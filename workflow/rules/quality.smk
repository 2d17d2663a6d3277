# Recording quality: per participant, metrics and an automatic grade 0-3 with reasons; then one table
# with the manual grades of participants.tsv, which always win (docs/quality.md).
QUALITY_OUTPUTS = ["results/quality.tsv", *expand("results/qc/{participant}.png", participant=PARTICIPANTS)]


rule quality_metrics:
    """Quality metrics and automatic grade of one participant's frames."""
    input:
        frames="results/frames/{participant}.parquet",
        stimuli=STIMULI_SHEET,
    output:
        "results/quality/{participant}.json",
    log:
        "results/logs/quality_metrics/{participant}.log",
    benchmark:
        "results/benchmarks/quality_metrics/{participant}.tsv"
    conda:
        "../../environment.yml"
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        metrics={
            k: config["quality"][k]
            for k in (
                "occlusion_score",
                "lower_face_covered",
                "mouth",
                "mouth_window_ms",
                "mouth_min_swing",
                "mouth_min_cycles",
            )
        },
        limits=config["quality"]["limits"],
        post_blank_ms=config["epochs"]["post_blank_ms"],
    script:
        "../scripts/quality_metrics.py"


rule quality_table:
    """All participants' metrics, automatic, manual and final grades and reasons."""
    input:
        records=expand("results/quality/{participant}.json", participant=PARTICIPANTS),
        participants=SHEETS["participants"],
    output:
        report("results/quality.tsv", caption="../report/quality.rst", category="2. Quality"),
    log:
        "results/logs/quality_table.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/quality_table.py"


rule qc_page:
    """One participant's quality-control page: score traces over the stimuli, face presence and score, the
    flagged problems, the grade and its reasons, and frames with the mesh (docs/quality.md)."""
    input:
        unpack(qc_media),
        frames="results/frames/{participant}.parquet",
        record="results/quality/{participant}.json",
        stimuli=STIMULI_SHEET,
    output:
        report(
            "results/qc/{participant}.png",
            caption="../report/qc_page.rst",
            category="2. Quality",
            labels={"participant": "{participant}"},
        ),
    log:
        "results/logs/qc_page/{participant}.log",
    benchmark:
        "results/benchmarks/qc_page/{participant}.tsv"
    conda:
        "../../environment.yml"
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        settings=config["quality"],
        models_dir=lambda w, input: str(Path(input.models[0]).parent) if hasattr(input, "models") else None,
    script:
        "../scripts/qc_page.py"


rule qc_video:
    """On demand: one participant's recording with the mesh and live bars of the top expressions."""
    input:
        video=video_path,
        frames="results/frames/{participant}.parquet",
        models=ANALYZER_MODELS,
    output:
        "results/qc/{participant}.mp4",
    log:
        "results/logs/qc_video/{participant}.log",
    benchmark:
        "results/benchmarks/qc_video/{participant}.tsv"
    wildcard_constraints:
        participant=VIDEO_PARTICIPANTS,
    conda:
        "../../environment.yml"
    threads: EXTRACTION["threads"]
    resources:
        mem_mb=EXTRACTION["mem_mb"],
        runtime=lambda w, attempt: EXTRACTION["runtime_min"] * attempt,
    params:
        models_dir=lambda w, input: str(Path(input.models[0]).parent),
    script:
        "../scripts/qc_video.py"
