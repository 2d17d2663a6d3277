# Per-participant frames. A webcam recording is decoded once into results/landmarks/{participant}.parquet
# (the costly job); a cheap job scores it against the participant's neutral reference into
# results/frames/{participant}.parquet, so new model weights or a new reference re-run only that job.
# Participants whose frames_source is an engine (imotions, openface, pyfeat) get their frames from the
# export instead (docs/importers.md). Which rule makes a participant's frames is fixed by FRAME_SOURCES.
import re
from pathlib import Path

EXTRACTION = config["extraction"]
#: What extraction adds to `rule all`.
FRAME_FILES = expand("results/frames/{participant}.parquet", participant=PARTICIPANTS)


#: Wildcard patterns matching exactly the participants whose frames come from a video / from an export
#: ("(?!)" matches nothing).
VIDEO_PARTICIPANTS, EXPORT_PARTICIPANTS = (
    "|".join(re.escape(p) for p, source in FRAME_SOURCES.items() if (source == "video") == from_video) or "(?!)"
    for from_video in (True, False)
)


rule extract_landmarks:
    """Decode one recording and write its per-frame face records (Face Landmarker landmarks, the blendshape
    network's input, aligned mesh, pose; the FER network's emotions when models.emotion_source reads them)."""
    input:
        video=video_path,
        models=ANALYZER_MODELS,
    output:
        "results/landmarks/{participant}.parquet",
    log:
        "results/logs/extract_landmarks/{participant}.log",
    benchmark:
        "results/benchmarks/extract_landmarks/{participant}.tsv"
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
        settings={
            **{k: EXTRACTION[k] for k in ("stride", "max_side", "batch_size", "on_error", "device")},
            "fer": EXTRACT_FER,
        },
    script:
        "../scripts/extract_landmarks.py"


rule frames_from_landmarks:
    """Expressions and emotions 0-100 of one participant's frames: blendshapes, the AU head, emotions;
    absolute, or against their own neutral frames (models.neutral_correction)."""
    input:
        landmarks="results/landmarks/{participant}.parquet",
        stimuli=STIMULI_SHEET,
        models=MODEL_FILES,
    output:
        "results/frames/{participant}.parquet",
    log:
        "results/logs/frames_from_landmarks/{participant}.log",
    benchmark:
        "results/benchmarks/frames_from_landmarks/{participant}.tsv"
    wildcard_constraints:
        participant=VIDEO_PARTICIPANTS,
    conda:
        "../../environment.yml"
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        models_dir=lambda w, input: str(Path(input.models[0]).parent),
        emotion_source=config["models"]["emotion_source"],
        neutral_correction=config["models"]["neutral_correction"],
    script:
        "../scripts/frames_from_landmarks.py"


rule frames_from_export:
    """One participant's frames from their engine export (iMotions, OpenFace, py-feat)."""
    input:
        export=export_path,
    output:
        "results/frames/{participant}.parquet",
    log:
        "results/logs/frames_from_export/{participant}.log",
    wildcard_constraints:
        participant=EXPORT_PARTICIPANTS,
    conda:
        "../../environment.yml"
    params:
        engine=lambda w: FRAME_SOURCES[w.participant],
        fps=EXTRACTION["export_fps"],
    script:
        "../scripts/frames_from_export.py"
