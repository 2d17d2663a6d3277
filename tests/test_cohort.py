"""The demo cohort generator: seeded, shaped like the study, protocol as specified."""

import numpy as np
import pandas as pd
import pytest

from mimicry import eq
from mimicry.simulate import cohort
from mimicry.names import STIMULUS_EMOTIONS

from conftest import load_config


@pytest.fixture(scope="module")
def demo():
    return load_config()["demo"]


def test_same_seed_same_cohort(demo):
    first = cohort.generate_cohort(10, 5, demo["cohort"], demo["protocol"])
    second = cohort.generate_cohort(10, 5, demo["cohort"], demo["protocol"])
    for a, b in zip(first, second):
        pd.testing.assert_frame_equal(a, b)


def test_large_cohort_resembles_the_study(demo):
    participants, responses, _, _ = cohort.generate_cohort(3000, 11, demo["cohort"], demo["protocol"])
    scores = eq.score_eq(responses)["eq_score"]
    female = (participants["gender"] == "female").to_numpy()
    assert female.mean() == pytest.approx(demo["cohort"]["female_fraction"], abs=0.03)
    assert scores.mean() == pytest.approx(demo["cohort"]["eq_mean"], abs=1.0)
    assert 9 < scores.std() < 13  # the latent SD plus answer noise
    d = (scores[female].mean() - scores[~female].mean()) / scores.std()
    assert d > 0.3  # women higher
    assert participants["ethnicity"].value_counts().idxmax() == "White British"


def test_protocol_blocks_and_timing(demo):
    protocol = demo["protocol"]
    log = cohort.stimulus_log(np.random.default_rng(0), "p1", protocol)
    assert len(log) == 28 and log["stimulus"].is_unique
    for block, rows in log.groupby("block"):
        assert sorted(rows["stimulus_emotion"]) == sorted(STIMULUS_EMOTIONS)
        assert rows["stimulus_emotion"].iloc[-1] == "neutral"
        assert rows["identity"].nunique() == 1
    gaps = np.diff(log["onset_ms"].to_numpy())
    per_face = protocol["stimulus_ms"] + protocol["blank_ms"]
    assert np.all((gaps == per_face) | (gaps == per_face + protocol["eq_pause_ms"]))
    assert (gaps > per_face).sum() == 1  # the questionnaire pause after block eq_after_block
    assert log["onset_ms"].iloc[0] == protocol["lead_in_ms"]
    assert log["onset_ms"].iloc[-1] + per_face == cohort.recording_ms(protocol)
