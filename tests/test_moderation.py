"""The planted congruence effect and EQ moderation in response units (mimicry.simulate.moderation).

References are computed independently: the moderation from the closed form of the simulator's gain
model and the binomial EQ score, the transfer from the function the test plants. Seeded; tolerances are
several standard errors of the Monte Carlo or of the fit, so a wrong scale, a missing attenuation or a
sign error fails.
"""

import math

import numpy as np
import pandas as pd
import pytest

from mimicry.analysis.congruence import tests as congruence_tests
from mimicry.simulate import moderation

from conftest import load_config

HAPPY = {"test": "happy", "kind": "emotion", "reactions": ["smile", "cheek_raise", "joy"], "congruent": ["happy"],
         "incongruent": ["angry", "sad", "surprised", "disgusted", "afraid"]}


@pytest.fixture
def demo():
    """The default demo without the gender effect and with gains far from the clips at 0 and MAX_PEAK."""
    demo = load_config()["demo"]
    demo["cohort"]["gender_effect_d"] = 0.0
    demo["reactions"].update(gain_mean=0.5, gain_sd=0.1, trial_sd=0.1)
    return demo


def linear(k):
    return pd.DataFrame({"intensity": [0.0, 1.5], "response": [0.0, 1.5 * k]})


def test_planted_effects_match_the_closed_form(demo):
    """A linear transfer k: congruence = k * gain_mean * mean weight (smile 1, cheek_raise 0.7); moderation per SD
    of the score = k * mean weight * gain_sd * eq_r * corr(latent, score), corr^2 = 100 / (100 + E[L(80 - L)] / 80)."""
    k, effect, w = 6.0, 0.4, (1.0 + 0.7) / 2
    planted = moderation.planted_effects(demo, HAPPY, effect, seed=1, knots=linear(k))
    corr = math.sqrt(100 / (100 + (47 * 33 - 100) / 80))
    assert planted["congruence"] == pytest.approx(k * 0.5 * w, rel=0.005)
    assert planted["eq_moderation"] == pytest.approx(k * w * 0.1 * effect * corr, rel=0.03)
    none = moderation.planted_effects(demo, HAPPY, 0.0, seed=1, knots=linear(k))
    assert abs(none["eq_moderation"]) < 0.03 * k * w * 0.1 * effect


def test_planted_effects_follow_a_threshold_transfer(demo):
    """Below the threshold the scorer reads nothing: the planted effect is the mean of max(0, intensity - 0.3) * 10,
    intensity the trial's mean planted peak (smile 1 and cheek_raise 0.7: gain * 0.85 * trial factor)."""
    knots = pd.DataFrame({"intensity": [0.0, 0.3, 1.5], "response": [0.0, 0.0, 12.0]})
    rng = np.random.default_rng(0)
    gain = np.clip(0.5 + 0.1 * rng.standard_normal(400_000), 0, None)
    trial = np.maximum(0, 1 + 0.1 * rng.standard_normal(len(gain)))
    expected = np.mean(np.maximum(0, gain * 0.85 * trial - 0.3) * 10)
    planted = moderation.planted_effects(demo, HAPPY, 0.3, seed=2, knots=knots)
    assert planted["congruence"] == pytest.approx(expected, rel=0.01)


def test_fit_transfer_recovers_a_planted_transfer_and_its_noise():
    """Trials with response = 8 * max(0, intensity - 0.4) + participant N(0, 1) + stimulus N(0, 0.25) + N(0, sd^2),
    sd 1 on congruent and 0.5 on incongruent trials."""
    rng = np.random.default_rng(3)
    n, stimuli = 200, 60
    congruent = np.arange(stimuli) < 20
    intensity = np.where(congruent, rng.uniform(0.2, 1.4, (n, stimuli)), 0.0)
    noise = (rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.5, (1, stimuli))
             + rng.normal(0, 1, (n, stimuli)) * np.where(congruent, 1.0, 0.5))
    table = pd.DataFrame({"participant_id": np.repeat([f"p{i}" for i in range(n)], stimuli),
                          "stimulus": np.tile([f"s{j}" for j in range(stimuli)], n),
                          "congruence": np.tile(congruent.astype(float), n), "intensity": intensity.ravel(),
                          "response": (8 * np.maximum(0, intensity - 0.4) + noise).ravel()})
    knots, fitted = moderation.fit_transfer(table)
    at = np.array([0.6, 0.9, 1.2])
    np.testing.assert_allclose(moderation.transfer(knots, at), 8 * (at - 0.4), atol=0.35)
    assert np.all(np.diff(knots["response"]) >= 0)  # isotonic
    assert fitted["var_participant"] == pytest.approx(1.0, rel=0.3)
    assert fitted["var_stimulus"] == pytest.approx(0.25, rel=0.7)
    # each group's variance minus the pooled stimulus variance: the stimuli's sample variance enters (SE ~0.1)
    assert fitted["var_residual_incongruent"] == pytest.approx(0.25, abs=0.15)
    # the isotonic fit absorbs some of the congruent trials' noise: it may only be smaller than planted
    assert 0.6 < fitted["var_residual_congruent"] <= 1.1
    too_few = moderation.fit_transfer(table[table["participant_id"].isin(["p0", "p1"])])
    assert too_few[0].empty and "needs 3" in too_few[1]["note"] and math.isnan(too_few[1]["var_participant"])


def model_rows(test, congruence_ci, moderation_ci, note=""):
    rows = []
    for model, term, (low, high) in (("congruence", "congruence", congruence_ci),
                                     ("congruence_x_eq", "congruence:eq_z", moderation_ci)):
        estimate = (low + high) / 2 if not note else np.nan
        rows.append({"test": test, "model": model, "term": term, "estimate": estimate, "ci_low": low if not note else np.nan,
                     "ci_high": high if not note else np.nan, "n_participants": 20, "note": note})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("congruence_ci, moderation_ci, passed", [
    ((0.5, 1.5), (0.0, 0.4), (True, True)),
    ((-0.1, 1.5), (0.3, 0.6), (False, False)),
    ((-1.5, -0.5), (-0.4, 0.25), (False, True)),
])
def test_checks_pass_when_detected_and_when_the_planted_moderation_is_in_the_interval(congruence_ci, moderation_ci, passed):
    planted = {"congruence": 1.0, "eq_moderation": 0.2}
    rows = moderation.congruence_checks(model_rows("happy", congruence_ci, moderation_ci), HAPPY, planted, "95%")
    assert [r["check"] for r in rows] == ["congruence_happy", "eq_moderation_happy"]
    assert (rows[0]["passed"], rows[1]["passed"]) == passed
    assert rows[0]["planted"] == 1.0 and rows[1]["recovered"] == pytest.approx(sum(moderation_ci) / 2)


def test_nothing_planted_passes_when_nothing_is_found_and_an_unfitted_model_fails_with_its_note():
    nothing = {"congruence": 0.0, "eq_moderation": 0.0}
    assert moderation.congruence_checks(model_rows("happy", (-0.2, 0.3), (-0.1, 0.1)), HAPPY, nothing, "95%")[0]["passed"]
    unfitted = model_rows("happy", (0, 0), (0, 0), note="2 usable participants")
    rows = moderation.congruence_checks(unfitted, HAPPY, {"congruence": 1.0, "eq_moderation": 0.2}, "95%")
    assert not any(r["passed"] for r in rows) and all("2 usable participants" in r["note"] for r in rows)
    nan = moderation.congruence_checks(model_rows("happy", (0.5, 1.5), (-1, 1)), HAPPY,
                                       {"congruence": np.nan, "eq_moderation": np.nan}, "95%")
    assert not any(r["passed"] for r in nan)


def test_planted_trials_take_the_mean_planted_peak_of_the_tests_reactions():
    trials = pd.DataFrame({"participant_id": "p1", "stimulus": ["AF01HAS", "AF01HAS", "AF01ANS"], "identity": "AF01",
                           "stimulus_emotion": ["happy", "happy", "angry"], "reaction": ["smile", "joy", "smile"],
                           "response": [4.0, 2.0, 0.5]})
    events = pd.DataFrame({"participant_id": "p1", "event": "reaction", "stimulus": ["AF01HAS", "AF01HAS", "AF01ANS"],
                           "reaction": ["smile", "cheek_raise", "brow_furrow"], "peak": [0.8, 0.6, 0.9]})
    table = moderation.planted_trials(trials, events, HAPPY).set_index("stimulus")
    assert table.loc["AF01HAS", "intensity"] == pytest.approx(0.7) and table.loc["AF01ANS", "intensity"] == 0.0
    assert table.loc["AF01HAS", "response"] == pytest.approx(3.0)  # mean over the test's reactions


def test_default_tests_have_planted_expressions():
    """Every default congruence test's congruent faces carry planted expressions of its reactions."""
    config = load_config()
    for test in congruence_tests(config["analysis"]["congruence"]["mapping"], config["analysis"]["congruence"]["contrasts"]):
        weights = moderation.planted_weights(test, config["demo"]["reactions"])
        assert all(weights[e] for e in test["congruent"]), test["test"]
