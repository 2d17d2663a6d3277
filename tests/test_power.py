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

from mimicry import eq
from mimicry.simulate import cohort
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


# The congruence x EQ interaction on simulated trials (interaction_grid). A linear transfer of 10 points per
# unit of planted intensity; participant, stimulus and residual noise as a transfer's calibration rows.

HAPPY = {"test": "happy", "kind": "emotion", "reactions": ["smile", "cheek_raise", "joy"], "congruent": ["happy"],
         "incongruent": ["angry", "sad", "surprised", "disgusted", "afraid"]}
KNOTS = pd.DataFrame({"intensity": [0.0, 1.5], "response": [0.0, 15.0]})
NOISE = {"intercept": 0.0, "var_participant": 1.0, "var_stimulus": 0.25, "var_residual_congruent": 1.0,
         "var_residual_incongruent": 0.5}


def trial_calibration(**noise):
    values = calibration()
    return values | {f"transfer_happy_{k}": v for k, v in (NOISE | noise).items()}


def test_simulated_trials_are_the_demos_stimuli_with_the_planted_noise(demo):
    """One trial per participant x stimulus of the test's emotions, named as cohort.stimulus_log names them;
    incongruent trials (nothing planted: transfer 0) have the planted participant and residual variances
    (two-way ANOVA of the balanced participant x stimulus table), congruent ones the transfer's mean."""
    from mimicry.simulate import moderation

    rng = np.random.default_rng(11)
    people = moderation.draw_people(rng, 400, 0.3, demo)
    trials = moderation.simulate_trials(rng, people, HAPPY, demo, KNOTS, NOISE)
    log = cohort.stimulus_log(rng, "p", demo["protocol"])
    expected = set(log.loc[log["stimulus_emotion"].isin(HAPPY["congruent"] + HAPPY["incongruent"]), "stimulus"])
    assert set(trials["stimulus"]) == expected and len(trials) == 400 * len(expected)
    y = trials[trials["stimulus_emotion"] != "happy"].pivot(index="participant_id", columns="stimulus", values="response")
    resid = y - y.mean(1).to_numpy()[:, None] - y.mean(0).to_numpy()[None, :] + y.to_numpy().mean()
    mse = (resid.to_numpy() ** 2).sum() / ((y.shape[0] - 1) * (y.shape[1] - 1))
    msa = y.shape[1] * y.mean(1).var(ddof=1)
    assert mse == pytest.approx(0.5, rel=0.05)
    assert (msa - mse) / y.shape[1] == pytest.approx(1.0, rel=0.2)
    happy = trials[trials["stimulus_emotion"] == "happy"]
    planted = 10 * np.mean(np.clip(people["gain"], 0, None)) * (1.0 + 0.7) / 2  # linear transfer of the mean peak
    assert happy["response"].mean() == pytest.approx(planted, rel=0.1)


@pytest.fixture(scope="module")
def interaction_table():
    """60 studies of 40 participants per effect, between-person variation of the congruence effect from gain."""
    demo = load_config()["demo"]
    demo["cohort"]["gender_effect_d"] = 0.0
    return power.interaction_grid(demo, trial_calibration(), KNOTS, HAPPY, [40], [0.0, 0.4], n_repeats=60,
                                  alpha=ALPHA, seed=7).set_index("effect")


def test_the_interaction_model_covers_and_keeps_alpha_where_intercepts_only_do_not(interaction_table):
    """Nominal 95%: binomial(60, 0.95) < 51 has probability 0.003; binomial(60, 0.05) > 10 probability 0.001.
    The intercept-only model (people's congruence effects assumed equal) undercovers badly."""
    table = interaction_table
    assert (table["interaction_coverage"] >= 51 / 60).all(), table["interaction_coverage"]
    assert table.at[0.0, "interaction_detection_rate"] <= 10 / 60
    assert table.at[0.0, "trial_r_detection_rate"] <= 10 / 60
    assert (table["intercept_only_coverage"] < 0.75).all(), table["intercept_only_coverage"]
    assert table.at[0.0, "intercept_only_detection_rate"] > 0.25
    assert table.at[0.4, "planted_moderation"] > 0.2 and abs(table.at[0.0, "planted_moderation"]) < 0.05
    assert (table["interaction_note"].fillna("") == "").all() and (table["interaction_repeats"] == 60).all()


def test_the_interaction_and_the_trial_correlation_detect_a_planted_moderation(interaction_table):
    """Planted eq_r 0.4 at 40 participants: both detect it far more often than alpha (about 0.5 each);
    binomial SEs are sqrt(p (1 - p) / repeats)."""
    row = interaction_table.loc[0.4]
    assert row["interaction_detection_rate"] > 0.25 and row["trial_r_detection_rate"] > 0.25
    assert row["interaction_detection_rate"] == row["interaction_detected"] / 60
    p = row["interaction_detection_rate"]
    assert row["interaction_se"] == pytest.approx(math.sqrt(p * (1 - p) / 60))


def test_an_interaction_cell_does_not_change_when_the_grid_grows(demo):
    one = power.interaction_grid(demo, trial_calibration(), KNOTS, HAPPY, [12], [0.3], 4, ALPHA, seed=5)
    two = power.interaction_grid(demo, trial_calibration(), KNOTS, HAPPY, [8, 12], [0.0, 0.3], 4, ALPHA, seed=5)
    pd.testing.assert_frame_equal(one, two[(two["n"] == 12) & (two["effect"] == 0.3)].reset_index(drop=True))


def test_an_interaction_that_cannot_be_simulated_is_a_sentence(demo):
    missing = power.interaction_grid(demo, calibration(), KNOTS, HAPPY, [12], [0.3], 4, ALPHA, seed=1)
    assert "transfer_happy_var_participant" in missing.at[0, "interaction_note"]
    assert np.isnan(missing.at[0, "interaction_detection_rate"])
    none = power.interaction_grid(demo, trial_calibration(), KNOTS, HAPPY, [12], [0.3], 0, ALPHA, seed=1)
    assert "interaction_repeats is 0" in none.at[0, "interaction_note"]
    empty = power.interaction_grid(demo, trial_calibration(), KNOTS.iloc[:0], HAPPY, [12], [0.3], 4, ALPHA, seed=1)
    assert "no transfer of test happy" in empty.at[0, "interaction_note"]
    with pytest.raises(ValueError, match="interaction_test: 'nope'"):
        power.find_test([HAPPY], "nope")


def test_power_figure_adds_the_interaction_panel(demo):
    table = power.power_grid(demo, calibration(), [12, 20], [0.0], n_repeats=10, alpha=ALPHA, seed=6)
    table = table.merge(power.interaction_grid(demo, trial_calibration(), KNOTS, HAPPY, [12, 20], [0.0], 3, ALPHA, seed=6))
    fig = power.power_figure(table, ALPHA)
    assert len(fig.axes) == 2
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    np.testing.assert_allclose(lines["congruence x EQ, r = 0"].get_ydata(), table["interaction_detection_rate"])
    np.testing.assert_allclose(lines["EQ x mean congruent response, r = 0"].get_ydata(), table["trial_r_detection_rate"])
