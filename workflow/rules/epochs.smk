# Stimulus alignment, baseline correction and per-stimulus reaction features; the fan-in over the usable
# participants (final quality grade <= quality.max_grade) and the feature matrix of the regressions.
# STIMULI_SHEET and STIMULUS_DIGESTS: see common.smk.
REACTION_OUTPUTS = [
    "results/reactions.parquet",
    "results/timecourses.parquet",
    "results/trials.parquet",
    "results/imotions.parquet",
    "results/features.tsv",
]


rule reaction_features:
    """Epochs, baseline and reaction features, binned time courses, trial bins and iMotions metrics of one participant."""
    input:
        frames="results/frames/{participant}.parquet",
        stimuli=STIMULI_SHEET,
    output:
        reactions="results/reactions/{participant}.parquet",
        timecourses="results/timecourses/{participant}.parquet",
        trials="results/trials/{participant}.parquet",
        imotions="results/imotions/{participant}.parquet",
    log:
        "results/logs/reaction_features/{participant}.log",
    benchmark:
        "results/benchmarks/reaction_features/{participant}.tsv"
    conda:
        "../../environment.yml"
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        epochs=config["epochs"],
    script:
        "../scripts/reaction_features.py"


rule usable_reactions:
    """Reaction features, time courses, trial bins and iMotions metrics of the usable participants, one file each."""
    input:
        quality="results/quality.tsv",
        reactions=expand("results/reactions/{participant}.parquet", participant=PARTICIPANTS),
        timecourses=expand("results/timecourses/{participant}.parquet", participant=PARTICIPANTS),
        trials=expand("results/trials/{participant}.parquet", participant=PARTICIPANTS),
        imotions=expand("results/imotions/{participant}.parquet", participant=PARTICIPANTS),
    output:
        reactions="results/reactions.parquet",
        timecourses="results/timecourses.parquet",
        trials="results/trials.parquet",
        imotions="results/imotions.parquet",
    log:
        "results/logs/usable_reactions.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        max_grade=config["quality"]["max_grade"],
    script:
        "../scripts/usable_reactions.py"


rule feature_matrix:
    """Participant x feature matrix: per-stimulus maxima combined per config features.combine."""
    input:
        "results/reactions.parquet",
    output:
        report("results/features.tsv", caption="../report/features.rst", category="3. Epochs"),
    log:
        "results/logs/feature_matrix.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        features=config["features"],
        windows=[w["name"] for w in config["epochs"]["windows"]],
    script:
        "../scripts/feature_matrix.py"
