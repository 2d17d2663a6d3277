"""The participant's neutral reference frames, on hand-worked protocols."""

import numpy as np
import pandas as pd
import pytest

from mimicry.face.reference import neutral_mask

STIMULI = pd.DataFrame({"onset_ms": [7000, 2000, 12000], "duration_ms": [3000] * 3,
                        "stimulus_emotion": ["neutral", "happy", "sad"]})


def test_blanks_lead_in_and_neutral_stimuli():
    t = np.arange(0, 20000, 100.0)
    mask = neutral_mask(t, STIMULI, settle_ms=1000)
    # lead-in [0, 2000), blank after happy + 1000 ms settle [6000, 7000), neutral stimulus after its first
    # 1000 ms [8000, 10000), blank [10000, 12000); nothing after the last stimulus ends at 15000.
    want = ((t < 2000) | ((t >= 6000) & (t < 7000)) | ((t >= 8000) & (t < 12000)))
    np.testing.assert_array_equal(mask, want)


def test_fallback_least_expressive_stretch():
    t = np.arange(0, 10000, 100.0)
    rng = np.random.default_rng(0)
    mesh = rng.normal(0, 0.01, (len(t), 1434))
    expressive = (t < 3000) | (t >= 5000)  # varied expressions except 3000-5000 ms
    mesh[expressive] += 0.2 * rng.normal(size=(expressive.sum(), 1434))
    mesh[10] = np.nan
    empty = STIMULI.iloc[:0]
    with pytest.raises(ValueError, match="neutral frames"):
        neutral_mask(t, empty)
    mask = neutral_mask(t, empty, mesh=mesh, window_ms=2000)
    np.testing.assert_array_equal(mask, (t >= 3000) & (t < 5000))
