"""Power of the EQ-reaction correlation (mimicry.simulate.power), checked statistically.

Seeded, so every run gives the same numbers; tolerances are about 3.5 binomial standard errors of a
detection rate (plus the Fisher-z approximation's own error where the reference is analytic), so a
correct implementation passes for any seed and a wrong noise model or test does not.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mimicry import cohort, eq
from mimicry.simulate import power

from conftest import load_config

ALPHA = 0.05


@pytest.fixture
def demo():
    """The default demo section without the gender effect (latent EQ then is N(eq_mean, eq_sd))."""
    demo = load_config()["demo"]
    demo["cohort"]["gender_effect_d"] = 0.0
    return demo


def calibration(slope=40.0, sd=9.0, **excluded):
    values = {"magnitude_intercept": 10.0, "magnitude_slope": slope, "magnitude_residual_sd": sd}
    table = pd.DataFrame({"parameter": [*values, *(f"excluded_{g}" for g in excluded)],
                          "value": [*values.values(), *excluded.values()]})
    return power.read_calibration(table)


def analytic_power(rho, n, alpha=ALPHA):
    """Two-sided power of the Pearson test by Fisher's z (independent reference)."""
    shift = math.atanh(rho) * math.sqrt(n - 3)
    q = stats.norm.ppf(1 - alpha / 2)
    return stats.norm.cdf(shift - q) + stats.norm.cdf(-shift - q)


@pytest.mark.parametrize("latent", [20.0, 47.0, 70.0])
def test_measured_eq_has_the_distribution_of_scored_drawn_answers(latent):
    """The shortcut Binomial(80, latent/80) vs the real path: cohort.draw_answers then eq.score_eq."""
    rng = np.random.default_rng(int(latent))
    n = 1500
    answers = pd.DataFrame([{"participant_id": f"p{i}", **cohort.draw_answers(rng, latent)} for i in range(n)])
    real = eq.score_eq(answers)["eq_score"].to_numpy(float)
    fast = power.measured_eq(rng, np.full(n, latent))
    p = latent / eq.MAX_SCORE
    mean, var = eq.MAX_SCORE * p, eq.MAX_SCORE * p * (1 - p)
    for scores in (real, fast):  # 4 standard errors of a mean and of a variance from 1500 draws
        assert abs(scores.mean() - mean) < 4 * math.sqrt(var / n)
        assert abs(scores.var(ddof=1) - var) < 4 * var * math.sqrt(2 / (n - 1))
    assert stats.ks_2samp(real, fast).pvalue > 0.001


def test_no_effect_detects_at_about_alpha(demo):
    table = power.power_grid(demo, calibration(), [30], [0.0], n_repeats=1000, alpha=ALPHA, seed=1)
    rate = table["detection_rate"].item()
    assert abs(rate - ALPHA) < 3.5 * math.sqrt(ALPHA * (1 - ALPHA) / 1000)  # |rate - 0.05| < 0.024
    assert table["ci_low"].item() <= ALPHA <= table["ci_high"].item()


def test_detection_matches_the_analytic_power_of_the_attenuated_correlation(demo):
    """gain correlates effect with latent EQ; the EQ score adds binomial noise of variance E[L(80-L)/80]
    (reliability 100 / (100 + (47 * 33 - 100) / 80)); the calibration adds N(0, sd) to slope * gain
    (reliability of the magnitude: slope * gain_sd / sqrt((slope * gain_sd)^2 + sd^2) = 12 / 15)."""
    n, effect, repeats = 100, 0.4, 800
    eq_reliability = 100 / (100 + (47 * 33 - 100) / 80)
    rho = effect * math.sqrt(eq_reliability) * 0.8
    expected = analytic_power(rho, n)
    table = power.power_grid(demo, calibration(slope=40, sd=9), [n], [effect], n_repeats=repeats, alpha=ALPHA, seed=2)
    # 3.5 binomial SEs (0.044 at 0.85) + 0.02 for the Fisher approximation and rare clipping of gains at 0
    assert abs(table["detection_rate"].item() - expected) < 3.5 * math.sqrt(expected * (1 - expected) / repeats) + 0.02
    assert table["mean_r"].item() == pytest.approx(rho, abs=0.03)


def test_large_effect_and_cohort_detect_almost_always_and_power_grows_with_n(demo):
    table = power.power_grid(demo, calibration(), [12, 50, 128], [0.5], n_repeats=300, alpha=ALPHA, seed=3)
    rates = table.sort_values("n")["detection_rate"].to_numpy()
    assert rates[-1] > 0.95  # analytic: rho = 0.5 * 0.92 * 0.8 = 0.37 at n = 128 gives 0.99
    assert np.all(np.diff(rates) > 0)
    assert list(table.columns) == list(power.POWER_COLUMNS)


def test_exclusion_follows_the_planted_problems(demo):
    """25 of 100 participants get a problem, kinds in turn: 9 camera_off (k = 0, 3, ..., 24) are excluded."""
    table = power.power_grid(demo, calibration(camera_off=1.0), [100], [0.3], n_repeats=20, alpha=ALPHA, seed=4)
    assert table["mean_n_usable"].item() == 91
    half = power.power_grid(demo, calibration(none=0.5), [100], [0.3], n_repeats=200, alpha=ALPHA, seed=4)
    assert half["mean_n_usable"].item() == pytest.approx(100 - 0.5 * 75, abs=3.5 * math.sqrt(75 * 0.25 / 200))


def test_grid_cells_are_seeded_independently(demo):
    one = power.power_grid(demo, calibration(), [20], [0.3], n_repeats=50, alpha=ALPHA, seed=5)
    two = power.power_grid(demo, calibration(), [10, 20], [0.0, 0.3], n_repeats=50, alpha=ALPHA, seed=5)
    pd.testing.assert_frame_equal(one, two[(two["n"] == 20) & (two["effect"] == 0.3)].reset_index(drop=True))


def test_missing_calibration_is_a_clear_error():
    table = pd.DataFrame({"parameter": ["magnitude_intercept", "magnitude_slope", "magnitude_residual_sd"],
                          "value": [1.0, np.nan, 2.0]})
    with pytest.raises(ValueError, match="magnitude_slope"):
        power.read_calibration(table)


def test_power_figure_has_one_line_per_effect(demo):
    table = power.power_grid(demo, calibration(), [12, 30], [0.0, 0.5], n_repeats=20, alpha=ALPHA, seed=6)
    fig = power.power_figure(table, ALPHA)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[:2] == ["planted r = 0", "planted r = 0.5"]
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), table[table["effect"] == 0.5]["detection_rate"])
