"""Landmarks -> frames: 20 expressions and 7 emotions, 0-100, scored absolutely in every frame (as AFFDEX).

Cheap and re-runnable without the video: the blendshape network (blendshape_net.pt in models_dir) reads
the landmark subset the extraction stored (``blendshape_input``), the AU head (au_head.pt) maps the 52
blendshapes to the 20 expressions. Optionally (``neutral``) each expression is scored relative to the
participant's own neutral frames instead. Emotions come from EMFACS-style prototypes of the expressions
(``EMOTION_PROTOTYPES``), from the FER2013 network's probabilities (fer_* columns), or their mean
(``emotion_source``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mimicry.face import AU_HEAD_FILE, BLENDSHAPE_FILE, EMOTION_SOURCES, FER_SOURCES, au_head, blendshape_net, occlusion
from mimicry.face.analyzer import BLENDSHAPE_INPUT_SIZE, MESH_SIZE
from mimicry.names import EMOTIONS, EXPRESSIONS, FRAME_COLUMNS

#: EMFACS-style prototypes (Friesen & Ekman 1983; as AFFDEX uses them): emotion -> (core, support, against).
#: core: groups of alternative expressions; every group must be present (min over groups of the max
#: within a group). support: the prototype's expressions, averaged. Score = (core + mean(support)) / 2,
#: times (1 - max(against) / 100): a smile rules out the negative emotions.
EMOTION_PROTOTYPES = {
    "joy": ([["smile"]], ["smile", "cheek_raise"], []),
    "anger": ([["brow_furrow"], ["lid_tighten", "lip_press", "eye_widen"]],
              ["brow_furrow", "lid_tighten", "lip_press", "eye_widen"], ["smile"]),
    "fear": ([["inner_brow_raise", "brow_raise"], ["eye_widen"], ["lip_stretch", "brow_furrow"]],
             ["inner_brow_raise", "brow_raise", "brow_furrow", "eye_widen", "lip_stretch"], ["smile"]),
    "disgust": ([["nose_wrinkle", "upper_lip_raise"]], ["nose_wrinkle", "upper_lip_raise", "chin_raise"], ["smile"]),
    "contempt": ([["smirk"]], ["smirk", "dimpler"], []),
    "sadness": ([["lip_corner_depressor"], ["inner_brow_raise", "brow_furrow"]],
                ["inner_brow_raise", "brow_furrow", "lip_corner_depressor"], ["smile"]),
    "surprise": ([["inner_brow_raise", "brow_raise"], ["eye_widen", "jaw_drop", "mouth_open"]],
                 ["inner_brow_raise", "brow_raise", "eye_widen", "jaw_drop"], []),
}
#: FER2013 class behind each emotion (contempt has none).
FER_EMOTION = {"joy": "fer_happy", "anger": "fer_angry", "fear": "fer_fear", "disgust": "fer_disgust",
               "sadness": "fer_sad", "surprise": "fer_surprise"}


def emotions_from_expressions(expr: pd.DataFrame) -> pd.DataFrame:
    """The 7 emotions (0-100) from the 20 expressions (0-100) by EMOTION_PROTOTYPES."""
    out = {}
    for emotion, (core, support, against) in EMOTION_PROTOTYPES.items():
        core_score = np.min([expr[group].max(axis=1, skipna=False) for group in core], axis=0)
        score = (core_score + expr[support].mean(axis=1, skipna=False)) / 2
        if against:
            score = score * (1 - expr[against].max(axis=1, skipna=False) / 100)
        out[emotion] = score
    return pd.DataFrame(out, index=expr.index)[list(EMOTIONS)]


def emotions_from_fer(landmarks: pd.DataFrame, expr_emotions: pd.DataFrame) -> pd.DataFrame:
    """The 7 emotions (0-100): 100 x FER2013 probabilities; contempt from the expressions (FER has none).

    Raises ValueError when the landmarks were extracted without the FER network (fer_* NaN on every face).
    """
    face = landmarks["face"].to_numpy(bool)
    if face.any() and landmarks.loc[face, FER_EMOTION["joy"]].isna().all():
        raise ValueError("the landmarks were extracted without the FER network (it runs only when "
                         f"models.emotion_source is one of {', '.join(FER_SOURCES)}): extract them again")
    out = pd.DataFrame({e: 100 * landmarks[FER_EMOTION[e]].to_numpy(float) for e in FER_EMOTION},
                       index=expr_emotions.index)
    out["contempt"] = expr_emotions["contempt"]
    return out[list(EMOTIONS)]


def list_matrix(landmarks: pd.DataFrame, column: str, size: int) -> np.ndarray:
    """A fixed-size list column (``mesh``, ``blendshape_input``) as an (N, size) float array, NaN rows where
    there is no face."""
    out = np.full((len(landmarks), size), np.nan)
    face = landmarks["face"].to_numpy(bool)
    if face.any():
        out[face] = np.stack(landmarks.loc[face, column].to_numpy())
    return out


def mesh_matrix(landmarks: pd.DataFrame) -> np.ndarray:
    """The aligned meshes as an (N, 1434) array (IOU), NaN rows where there is no face."""
    return list_matrix(landmarks, "mesh", MESH_SIZE)


def blendshapes(landmarks: pd.DataFrame, net) -> np.ndarray:
    """The 52 blendshape scores (N, 52), 0-1, of a landmarks table; NaN rows where there is no face."""
    points = list_matrix(landmarks, "blendshape_input", BLENDSHAPE_INPUT_SIZE)
    out = np.full((len(points), len(blendshape_net.BLENDSHAPES)), np.nan)
    face = ~np.isnan(points).any(1)
    if face.any():
        out[face] = blendshape_net.predict(net, points[face].reshape(-1, blendshape_net.N_POINTS, 2))
    return out


def expression_scores(scores: np.ndarray, head, neutral: np.ndarray | None = None) -> np.ndarray:
    """20 expressions (N, 20), 0-100, of blendshape scores (N, 52; NaN rows = no face).

    neutral: None (absolute scores) or a boolean mask of the participant's neutral frames: each
    expression's head output is then taken relative to its median over those frames (before the clamp
    to 0-100), so a participant's resting face scores 0.
    """
    feats = au_head.features(scores)
    offset = None
    if neutral is not None:
        rest = np.asarray(neutral, bool) & ~np.isnan(feats).any(1)
        if not rest.any():
            raise ValueError("neutral correction asked for, but no neutral frame has a face")
        offset = np.median(au_head.logits(head, feats[rest]), axis=0)
    return au_head.predict(head, feats, offset)


def score_landmarks(landmarks: pd.DataFrame, models_dir, *, neutral: np.ndarray | None = None,
                    emotion_source: str = "expressions", device: str = "cpu") -> pd.DataFrame:
    """Frame scores, ``names.FRAME_COLUMNS`` then lower_face_changed, from a landmarks table (LANDMARK_SCHEMA columns).

    lower_face_changed (0-1): the fraction of the lower face whose edges changed from the participant's usual
    ones (``occlusion.changed_fraction`` over all of ``landmarks``' frames; occlusion, docs/quality.md); only
    when the table has ``lower_face_edges``.

    Expressions and emotions are 0-100, NaN where face is False; absolute per frame, or with ``neutral``
    (a boolean mask of the participant's neutral frames, ``reference.neutral_mask``) relative to those
    frames. emotion_source: "expressions" (EMFACS prototypes), "fer" (FER2013 network; contempt from the
    expressions) or "mean" (average of the two).
    """
    if emotion_source not in EMOTION_SOURCES:
        raise ValueError(f"emotion_source {emotion_source!r}; choose one of {', '.join(EMOTION_SOURCES)}")
    if neutral is not None and len(neutral) != len(landmarks):
        raise ValueError(f"neutral mask has {len(neutral)} rows, landmarks {len(landmarks)}")
    models_dir = Path(models_dir)
    net = blendshape_net.load(models_dir / BLENDSHAPE_FILE, device)
    head = au_head.load(models_dir / AU_HEAD_FILE, device)
    expr = pd.DataFrame(expression_scores(blendshapes(landmarks, net), head, neutral), columns=EXPRESSIONS,
                        index=landmarks.index)
    emo = emotions_from_expressions(expr)
    if emotion_source != "expressions":
        fer = emotions_from_fer(landmarks, emo)
        emo = fer if emotion_source == "fer" else (emo + fer) / 2
    out = pd.concat([landmarks[["participant_id", "frame", "time_ms", "face", "face_score"]], expr, emo,
                     landmarks[["pitch", "yaw", "roll"]]], axis=1)
    no_face = ~out["face"].to_numpy(bool)
    out.loc[no_face, list(EXPRESSIONS) + list(EMOTIONS)] = np.nan
    if "lower_face_edges" not in landmarks:
        return out[list(FRAME_COLUMNS)]
    out["lower_face_changed"] = occlusion.changed_fraction(list_matrix(landmarks, "lower_face_edges", occlusion.N_VALUES))
    return out[[*FRAME_COLUMNS, "lower_face_changed"]]
