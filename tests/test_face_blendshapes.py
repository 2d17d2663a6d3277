"""The blendshape network in PyTorch against MediaPipe's own blendshapes, and the AU head's mapping."""

import cv2
import mediapipe as mp
import numpy as np
import pandas as pd
import pytest
from conftest import face_models, pyfeat_media, read_video

from mimicry.face import BLENDSHAPE_FILE, LANDMARKER_FILE, au_head, blendshape_net
from mimicry.names import EXPRESSIONS


def mediapipe_faces():
    """(blendshape input (N, 146, 2) pixels, MediaPipe's blendshapes (N, 52)) of real faces: every 5th frame
    of single_face.mp4, every 40th of WolfgangLanger_Pexels.mp4 and the labelled photos (IMAGE mode)."""
    from mediapipe.tasks.python import BaseOptions, vision

    images = read_video(pyfeat_media("single_face.mp4"))[::5] + read_video(pyfeat_media("WolfgangLanger_Pexels.mp4"))[::40]
    for name in ("0-f15-hao-ph.jpg", "0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg"):
        images.append(cv2.cvtColor(cv2.imread(str(pyfeat_media(name))), cv2.COLOR_BGR2RGB))
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(face_models() / LANDMARKER_FILE)),
        running_mode=vision.RunningMode.IMAGE, output_face_blendshapes=True)
    points, scores = [], []
    with vision.FaceLandmarker.create_from_options(options) as landmarker:
        for image in images:
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
            if not result.face_landmarks:
                continue
            h, w = image.shape[:2]
            xy = np.array([(p.x * w, p.y * h) for p in result.face_landmarks[0]])
            points.append(xy[list(blendshape_net.LANDMARK_SUBSET)])
            assert [c.category_name for c in result.face_blendshapes[0]] == list(blendshape_net.BLENDSHAPES)
            scores.append([c.score for c in result.face_blendshapes[0]])
    return np.array(points), np.array(scores)


@pytest.fixture(scope="module")
def faces():
    return mediapipe_faces()


def test_port_matches_mediapipe_on_real_faces(faces):
    """Same landmarks in, same 52 scores out as MediaPipe's TFLite runtime: <= 1e-4 everywhere (fp32
    rounding only), batched as one call, and the network has the 450,520 parameters of the TFLite file."""
    points, reference = faces
    assert len(points) >= 30
    net = blendshape_net.load(face_models() / BLENDSHAPE_FILE)
    assert sum(p.numel() for p in net.parameters()) == 450_520
    ours = blendshape_net.predict(net, points)
    assert np.abs(ours - reference).max() <= 1e-4
    assert reference[:, blendshape_net.BLENDSHAPES.index("mouthSmileLeft")].max() > 0.5  # real smiles among them


def test_scores_do_not_depend_on_position_or_size_but_on_aspect(faces):
    """The network normalises position and size away; stretching x (a wrong aspect ratio) changes it."""
    points, _ = faces
    net = blendshape_net.load(face_models() / BLENDSHAPE_FILE)
    base = blendshape_net.predict(net, points[:5])
    np.testing.assert_allclose(blendshape_net.predict(net, points[:5] * 2.5 + [300, -40]), base, atol=1e-5)
    assert np.abs(blendshape_net.predict(net, points[:5] * [16 / 9, 1]) - base).max() > 0.05


def test_convert_rejects_another_graph(tmp_path):
    """A TFLite file that is not the blendshape MLP-Mixer fails loudly instead of loading wrong weights."""
    from mimicry.resources import extract_member

    detector = extract_member(face_models() / LANDMARKER_FILE, "face_detector.tflite", tmp_path / "face_detector.tflite")
    with pytest.raises(ValueError, match="not the MLP-Mixer"):
        blendshape_net.convert(detector)


def one_hot(**features):
    row = np.zeros((1, len(au_head.FEATURES)))
    for name, value in features.items():
        row[0, au_head.FEATURES.index(name)] = value
    return row


def test_mapping_head_follows_the_mapping_table():
    """Each expression of the default head is its MAPPING row: e.g. a full brow lowering is a full
    brow_furrow and nothing else; eye squint is lid_tighten without a smile, cheek_raise with one."""
    head = au_head.mapping_head()
    scores = pd.Series(au_head.predict(head, one_hot(brow_down=1.0))[0], index=EXPRESSIONS)
    assert scores["brow_furrow"] == 100 and scores.drop("brow_furrow").max() == 0
    squint = dict(zip(EXPRESSIONS, au_head.predict(head, one_hot(eye_squint=0.6))[0]))
    assert squint["lid_tighten"] == pytest.approx(60) and squint["cheek_raise"] == 0
    duchenne = dict(zip(EXPRESSIONS, au_head.predict(head, one_hot(eye_squint=0.6, mouth_smile=0.8,
                                                                   squint_with_smile=0.6))[0]))
    assert duchenne["cheek_raise"] == pytest.approx(60) and duchenne["lid_tighten"] == pytest.approx(0, abs=1e-5)
    assert duchenne["smile"] == pytest.approx(80)


def test_features_from_blendshapes():
    """Bilateral means, asymmetry and the two conjunctions, from named blendshape scores."""
    b = np.zeros((1, len(blendshape_net.BLENDSHAPES)))
    for name, value in {"mouthSmileLeft": 0.9, "mouthSmileRight": 0.3, "eyeSquintLeft": 0.5, "eyeSquintRight": 0.7,
                        "browDownLeft": 0.2, "browDownRight": 0.4, "mouthUpperUpLeft": 0.5, "mouthUpperUpRight": 0.5}.items():
        b[0, blendshape_net.BLENDSHAPES.index(name)] = value
    f = dict(zip(au_head.FEATURES, au_head.features(b)[0]))
    assert f["mouth_smile"] == pytest.approx(0.6) and f["smile_asymmetry"] == pytest.approx(0.6)
    assert f["squint_with_smile"] == pytest.approx(0.6) and f["sneer_conjunction"] == pytest.approx(0.3)


def test_train_recovers_a_known_linear_head():
    """A table whose smile and brow_furrow labels are known linear functions of the features: the fitted
    head predicts held-out rows within 2 points (r > 0.99), resting rows score ~0, and expressions the table
    does not code keep their mapping."""
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.uniform(0, 0.3, (n, len(au_head.FEATURES))) * (rng.random((n, len(au_head.FEATURES))) < 0.3)
    smile = 100 * np.clip(1.5 * x[:, au_head.FEATURES.index("mouth_smile")] + 0.5 * x[:, au_head.FEATURES.index("eye_squint")], 0, 1)
    furrow = 100 * np.clip(2.0 * x[:, au_head.FEATURES.index("brow_down")], 0, 1)
    table = pd.DataFrame(x, columns=au_head.FEATURES).assign(smile=smile, brow_furrow=furrow)
    resting = (smile == 0) & (furrow == 0)
    assert resting.sum() >= 10
    head, validation = au_head.train(table)
    assert validation["smile"]["r"] > 0.99 and validation["smile"]["mae"] < 2
    assert validation["brow_furrow"]["r"] > 0.99 and validation["brow_furrow"]["mae"] < 2
    default = au_head.mapping_head()
    probe = rng.uniform(0, 0.5, (20, len(au_head.FEATURES)))
    jaw = EXPRESSIONS.index("jaw_drop")
    np.testing.assert_allclose(au_head.predict(head, probe)[:, jaw], au_head.predict(default, probe)[:, jaw])
    with pytest.raises(ValueError, match="none of the expression columns"):
        au_head.train(pd.DataFrame(x, columns=au_head.FEATURES))


def test_head_file_round_trip_and_a_stale_mapping_is_refused(tmp_path):
    from mimicry.face import MAPPING_VERSION

    head = au_head.mapping_head()
    au_head.save(head, tmp_path / "head.pt", f"mapping-{MAPPING_VERSION}")
    probe = np.random.default_rng(0).uniform(0, 1, (5, len(au_head.FEATURES)))
    np.testing.assert_array_equal(au_head.predict(au_head.load(tmp_path / "head.pt"), probe), au_head.predict(head, probe))
    au_head.save(head, tmp_path / "old.pt", "mapping-0")
    with pytest.raises(ValueError, match="rebuild it"):
        au_head.load(tmp_path / "old.pt")


def test_the_face_package_never_imports_the_simulator():
    """mimicry.face sits below mimicry.simulate: importing every face module loads no simulator module."""
    import subprocess
    import sys

    modules = ["analyzer", "au_head", "blendshape_net", "emotion_net", "geometry", "models", "reference", "scorer"]
    code = ("import sys\n" + "".join(f"import mimicry.face.{m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.startswith('mimicry.simulate')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
