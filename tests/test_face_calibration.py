"""Landmark-response calibration: gain and nuisance estimates, and the noise scale they choose."""

import numpy as np
import pandas as pd
import pytest
from conftest import face_models

from mimicry.face import au_head, calibration, measures

FEATURES = list(measures.FEATURES)


def synthetic_table(gain, rng, n_faces=3, n_expressions=12, nuisance_sd=0.002):
    """Planted changes drawn at random, moved = planted x gain + noise; nuisance rows of SD nuisance_sd."""
    rows = []
    for face in range(n_faces):
        for e in range(n_expressions):
            planted = rng.normal(0, 0.03, len(FEATURES))
            rows.append(("planted", f"f{face}", f"e{e}", *planted))
            rows.append(("moved", f"f{face}", f"e{e}", *(planted * gain + rng.normal(0, 0.001, len(FEATURES)))))
        for k in range(9):
            rows.append(("nuisance", f"f{face}", f"t{k}", *rng.normal(0, nuisance_sd, len(FEATURES))))
    return pd.DataFrame(rows, columns=[*calibration.RESPONSE_KEYS, *FEATURES])


def test_response_gain_recovers_known_gains_and_applies_its_rules():
    rng = np.random.default_rng(1)
    gain = rng.uniform(0.2, 0.95, len(FEATURES))
    table = synthetic_table(gain, rng)
    np.testing.assert_allclose(calibration.response_gain(table), gain, atol=0.02)
    # a feature the warps barely move keeps gain 1; gains outside the range are clipped
    table.loc[table["kind"] == "planted", FEATURES[0]] *= 0.01
    gain[1] = 3.0
    table.loc[table["kind"] == "moved", FEATURES[1]] = table.loc[table["kind"] == "planted", FEATURES[1]].to_numpy() * 3
    got = calibration.response_gain(table)
    assert got[0] == 1.0 and got[1] == calibration.GAIN_RANGE[1]


def test_nuisance_rms_is_the_rms_of_the_nuisance_rows():
    rng = np.random.default_rng(2)
    table = synthetic_table(np.ones(len(FEATURES)), rng)
    rows = table.loc[table["kind"] == "nuisance", FEATURES].to_numpy()
    np.testing.assert_allclose(calibration.nuisance_rms(table), np.sqrt((rows ** 2).sum(0) / len(rows)))


def test_transform_image_keeps_the_face_in_view():
    image = np.zeros((40, 60, 3), np.uint8)
    image[18:22, 28:32] = 255  # a bright square at the centre
    for spec in ({"angle": 20}, {"scale": 0.5}, {"scale": 2.0}, {"shift": (10, -5)}):
        out = calibration.transform_image(image, **spec)
        scale = spec.get("scale", 1.0)
        assert out.shape[:2] == (int(80 * scale), int(120 * scale))
        ys, xs = np.nonzero(out[..., 0] > 128)
        dx, dy = spec.get("shift", (0, 0))
        assert abs(xs.mean() - (out.shape[1] / 2 + dx)) < 2 and abs(ys.mean() - (out.shape[0] / 2 + dy)) < 2


@pytest.fixture(scope="module")
def response():
    return pd.read_csv(face_models() / "landmark_response.tsv", sep="\t")


def test_measured_response_on_real_faces(response):
    """MediaPipe follows the warped lip corners and jaw at more than half the image motion, the brows'
    approach hardly at all; nuisance moves features by well under a subtle expression (0.02 IOU)."""
    assert set(response["face"]) == {f"{name}#{frame}" for name, frame in calibration.CALIBRATION_FACES}
    gain = dict(zip(FEATURES, calibration.response_gain(response)))
    assert 0.6 < gain["corner_up"] <= 1.0 and 0.4 < gain["jaw"] <= 1.0
    assert gain["brow_gap"] < 0.3 and gain["inner_brow"] < gain["corner_up"]
    assert (calibration.nuisance_rms(response) < 0.01).all()


def test_prior_noise_scale_is_the_smallest_that_gives_invariance(response):
    settings = calibration.prior_settings(response, n=5000)
    assert settings["nuisance_change_max"] < calibration.INVARIANCE_POINTS
    assert settings["noise_scale"] > calibration.NOISE_SCALES[0]  # the raw nuisance RMS alone is not enough
    rms = np.maximum(calibration.nuisance_rms(response), 1e-4)
    head, _ = au_head.train(au_head.prior_table((settings["noise_scale"] - 0.5) * rms, settings["gain"], n=5000))
    changes = calibration.nuisance_changes(head, response)
    assert changes.max() >= calibration.INVARIANCE_POINTS
