"""Trial responses in time bins and the congruence tests built on them, on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mimicry.analysis import congruence
from mimicry.names import FRAME_COLUMNS, REACTIONS
from mimicry.trials import TRIAL_SCHEMA, participant_trials

FPS_MS = 100.0  # one frame every 100 ms


def frames_and_stimuli(smile_at, duration_ms=2000.0, onsets=(3000.0, 8000.0), pid="p1"):
    """Frames every 100 ms from 0 to 12 s with smile = smile_at(time_ms) (other reactions 0) and two stimuli."""
    time_ms = np.arange(0.0, 12000.0, FPS_MS)
    frames = pd.DataFrame(0.0, index=range(len(time_ms)), columns=list(FRAME_COLUMNS))
    frames["participant_id"], frames["frame"], frames["time_ms"] = pid, np.arange(len(time_ms)), time_ms
    frames["face"], frames["face_score"] = True, 1.0
    frames["smile"] = [smile_at(t) for t in time_ms]
    stimuli = pd.DataFrame({"participant_id": pid, "stimulus": ["AF01HAS", "AF01ANS"], "stimulus_emotion": ["happy", "angry"],
                            "identity": "AF01", "block": 1, "onset_ms": list(onsets), "duration_ms": duration_ms})
    return frames, stimuli


def run(frames, stimuli, metrics=False, **kwargs):
    options = {"pre_blank_ms": 2000, "post_blank_ms": 2000, "min_coverage": 0.5, "bin_ms": 500, "baseline": "pre_mean",
               "baseline_ms": 1000, **kwargs}
    return participant_trials(frames, stimuli, **options)[int(metrics)]


def smile_of(trials, stimulus):
    rows = trials[(trials["reaction"] == "smile") & (trials["stimulus"] == stimulus)]
    return rows.set_index("bin_start_ms")


def test_bins_minus_the_mean_of_the_last_second_before_onset():
    # 40 until 1 s before the first onset, then 10 in that last second, then time-dependent during the face
    def smile(t):
        if 3000 <= t < 5000:
            return 10 + (t - 3000) / 100  # 10, 11, ... per frame
        return 10.0 if 2000 <= t < 3000 else 40.0

    trials = run(*frames_and_stimuli(smile))
    assert list(trials.columns) == TRIAL_SCHEMA.names
    assert len(trials) == 2 * len(REACTIONS) * 4
    happy = smile_of(trials, "AF01HAS")
    assert happy["baseline_value"].unique().tolist() == [10.0]
    # bin [0, 500): frames 10..14 -> mean 12, minus 10 = 2; each bin 5 frames later: +5
    np.testing.assert_allclose(happy["response"], [2.0, 7.0, 12.0, 17.0])
    np.testing.assert_allclose(happy["bin_end_ms"], [500, 1000, 1500, 2000])
    angry = smile_of(trials, "AF01ANS")
    np.testing.assert_allclose(angry["baseline_value"], 40.0)
    np.testing.assert_allclose(angry["response"], 0.0)


def test_z_scores_within_participant_and_reaction():
    trials = run(*frames_and_stimuli(lambda t: (t // 500) % 7))
    smile = trials[trials["reaction"] == "smile"]
    np.testing.assert_allclose(smile["response_z"], stats.zscore(smile["response"], ddof=1))
    assert trials.loc[trials["reaction"] == "joy", "response_z"].isna().all()  # never moved: SD 0


def test_a_bin_or_baseline_without_faces_gives_nan():
    frames, stimuli = frames_and_stimuli(lambda t: 5.0)
    frames.loc[frames["time_ms"].between(3000, 3400), "face"] = False  # the first bin of the happy face
    frames.loc[frames["time_ms"].between(7000, 7900), "face"] = False  # the angry face's baseline second
    trials = run(frames, stimuli)
    happy, angry = smile_of(trials, "AF01HAS"), smile_of(trials, "AF01ANS")
    assert np.isnan(happy.at[0.0, "response"]) and happy["response"].iloc[1:].notna().all()
    assert angry["response"].isna().all()


def test_the_epoch_baselines_are_accepted_and_unknown_ones_refused():
    frames, stimuli = frames_and_stimuli(lambda t: 7.0)
    assert (smile_of(run(frames, stimuli, baseline="none"), "AF01HAS")["response"] == 7.0).all()
    with pytest.raises(ValueError, match="unknown trial baseline"):
        run(frames, stimuli, baseline="median")


def test_imotions_metrics_time_above_onsets_and_area():
    # smile 80 in [3000, 3400) and [4000, 4300) ms, else 20: 7 of 20 face frames above 50 in two runs
    def smile(t):
        return 80.0 if 3000 <= t < 3400 or 4000 <= t < 4300 else 20.0

    metrics = run(*frames_and_stimuli(smile), metrics=True)
    happy = metrics[(metrics["reaction"] == "smile") & (metrics["stimulus"] == "AF01HAS")].iloc[0]
    assert happy.time_above_pct == pytest.approx(35.0) and happy.n_onsets == 2
    # baseline 20: the curve is 60 on the frames above; trapezoids over 100 ms steps (frames at 0..1900 ms)
    corrected = np.where([smile(3000 + t) > 50 for t in np.arange(0, 2000, 100)], 60.0, 0.0)
    assert happy.auc == pytest.approx(((corrected[1:] + corrected[:-1]) / 2 * 0.1).sum())
    angry = metrics[(metrics["reaction"] == "smile") & (metrics["stimulus"] == "AF01ANS")].iloc[0]
    assert (angry.time_above_pct, angry.n_onsets, angry.auc) == (0.0, 0, 0.0)


def synthetic_trials(n_participants, effect=3.0, seed=0):
    """Long trial table: smile responses, happy faces `effect` points above angry ones (plus noise)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_participants):
        for identity in ("AF01", "AM10", "BF07", "BM13"):
            for emotion, code in (("happy", "HA"), ("angry", "AN")):
                for start in (0.0, 500.0):
                    rows.append({"participant_id": f"p{i}", "stimulus": f"{identity}{code}S", "identity": identity,
                                 "stimulus_emotion": emotion, "reaction": "smile",
                                 "response": effect * (emotion == "happy") + rng.normal(), "bin_start_ms": start})
    return pd.DataFrame(rows)


CONTRAST = {"test": "smile", "kind": "contrast", "reactions": ["smile"], "congruent": ["happy"], "incongruent": ["angry"]}


def test_trial_responses_average_the_bins_and_code_congruence():
    trials = synthetic_trials(2)
    table = congruence.trial_responses(trials, CONTRAST)
    assert len(table) == 2 * 8
    expected = trials.groupby(["participant_id", "stimulus"])["response"].mean()
    np.testing.assert_allclose(table.set_index(["participant_id", "stimulus"])["response"], expected.loc[
        list(table.set_index(["participant_id", "stimulus"]).index)])
    assert set(table.loc[table["stimulus_emotion"] == "happy", "congruence"]) == {1.0}


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_few_participants_give_a_sentence_not_a_traceback(n):
    trials = synthetic_trials(n) if n else synthetic_trials(1).iloc[:0]
    eq = pd.DataFrame({"participant_id": pd.Series([f"p{i}" for i in range(n)], dtype=str),
                       "eq_score": np.arange(n, dtype=float) + 40})
    table = congruence.congruence_models(trials, eq, {"response": "response", "random_stimulus": "stimulus",
                                                      "mapping": {"happy": ["smile"]}, "contrasts": []}, binned=trials)
    assert table["estimate"].isna().all()
    assert table["note"].str.contains(r"usable participants? with trials.*needs at least [34]").all()


def test_the_planted_congruence_effect_is_estimated():
    trials = synthetic_trials(12, effect=3.0, seed=4)
    eq = pd.DataFrame({"participant_id": [f"p{i}" for i in range(12)], "eq_score": np.linspace(30, 60, 12)})
    table = congruence.fit_test(trials, eq, CONTRAST, "congruence")
    row = table.set_index("term").loc["congruence"]
    assert row.ci_low < 3.0 < row.ci_high and row.p < 0.001
    assert (row.n_participants, row.n_stimuli, row.n_trials) == (12, 8, 96)


def test_read_trial_means_is_the_pandas_mean_over_bins_skipping_nan(tmp_path):
    from mimicry.epochs import write_parquet
    from mimicry.tables import read_trial_means

    trials = run(*frames_and_stimuli(lambda t: (t // 300) % 5, pid="007"))
    trials.loc[trials.index[::7], "response"] = np.nan
    write_parquet(trials, tmp_path / "trials.parquet", TRIAL_SCHEMA)
    read = read_trial_means(tmp_path / "trials.parquet", "response", ["smile", "joy"])
    keys = ["participant_id", "stimulus", "identity", "stimulus_emotion", "reaction"]
    expected = trials[trials["reaction"].isin(["smile", "joy"])].groupby(keys)["response"].mean()
    got = read.set_index(keys)["response"].sort_index()
    np.testing.assert_allclose(got, expected.sort_index())
    assert set(read["participant_id"]) == {"007"}


def test_the_by_bin_model_estimates_the_congruence_effect_of_each_bin():
    """Planted: congruence +4 points in the second bin only, and a trial effect shared by both bins."""
    trials = synthetic_trials(12, effect=0.0, seed=9)
    rng = np.random.default_rng(2)
    late = (trials["bin_start_ms"] == 500.0) & (trials["stimulus_emotion"] == "happy")
    trial_effect = trials.groupby(["participant_id", "stimulus"])["response"].transform(lambda r: rng.normal())
    trials["response"] += 4.0 * late + trial_effect
    table = congruence.fit_test(trials, pd.DataFrame(), CONTRAST, congruence.BIN_MODEL).set_index("term")
    assert list(table.index) == ["bin_0", "bin_500", "congruence:bin_0", "congruence:bin_500"]
    early, later = table.loc["congruence:bin_0"], table.loc["congruence:bin_500"]
    assert early.ci_low < 0.0 < early.ci_high and later.ci_low < 4.0 < later.ci_high and later.p < 0.001
    assert table["var_trial"].iloc[0] > 0.3 and table["n_trials"].iloc[0] == 12 * 8


def people_mimic_differently(rng, effect, n_participants=16, bins=(0.0, 500.0, 1000.0)):
    """Trial x bin smile responses of the CONTRAST faces (4 identities x happy/angry) where each person's
    congruence effect differs (SD 1 around ``effect[bin]``), with participant (SD 1), stimulus (0.3), trial
    (0.7) and residual (1) noise."""
    identities, n_bins = ("AF01", "AM10", "BF07", "BM13"), len(bins)
    stimuli = pd.DataFrame([(f"{i}{code}S", i, emotion) for i in identities for emotion, code in (("happy", "HA"), ("angry", "AN"))],
                           columns=["stimulus", "identity", "stimulus_emotion"])
    per_row = len(stimuli) * n_bins
    congruent = np.tile(np.repeat((stimuli["stimulus_emotion"] == "happy").to_numpy(float), n_bins), n_participants)
    noise = (np.repeat(rng.normal(0, 1.0, n_participants), per_row)
             + np.tile(np.repeat(rng.normal(0, 0.3, len(stimuli)), n_bins), n_participants)
             + np.repeat(rng.normal(0, 0.7, n_participants * len(stimuli)), n_bins)
             + rng.normal(0, 1.0, n_participants * per_row))
    person = np.repeat(rng.normal(0, 1.0, n_participants), per_row)
    table = pd.concat([stimuli.loc[stimuli.index.repeat(n_bins)]] * n_participants, ignore_index=True)
    return table.assign(participant_id=np.repeat([f"p{i:02d}" for i in range(n_participants)], per_row),
                        bin_start_ms=np.tile(bins, n_participants * len(stimuli)), reaction="smile",
                        response=noise + congruent * (np.tile(effect, n_participants * len(stimuli)) + person))


def test_the_by_bin_model_covers_each_bins_effect_when_people_mimic_differently():
    """80 studies in which each person's congruence effect differs (as in the demo: gains vary): with the
    participant x congruence intercept the by-bin intervals cover the planted effects (0, 1, 1) in >= 90% of
    the 240 intervals (nominal 95%) and an effect is called significant at 5% in <= 9% of null bins; without
    that intercept (a trial intercept alone) the same null studies give more false positives."""
    rng = np.random.default_rng(20261207)
    effect = np.array([0.0, 1.0, 1.0])
    covered, positives, positives_without = [], [], []
    for _ in range(80):
        rows = congruence.fit_test(people_mimic_differently(rng, effect), None, CONTRAST, congruence.BIN_MODEL)
        rows = rows[rows["term"].str.startswith("congruence:")]
        covered += list((rows["ci_low"] <= effect) & (effect <= rows["ci_high"]))
        null = people_mimic_differently(rng, 0 * effect)
        for random_congruence, hits in ((True, positives), (False, positives_without)):
            rows = congruence.fit_test(null, None, CONTRAST, congruence.BIN_MODEL, random_congruence=random_congruence)
            hits += list(rows.loc[rows["term"].str.startswith("congruence:"), "p"] < 0.05)
    assert np.mean(covered) >= 0.90, np.mean(covered)
    assert np.mean(positives) <= 0.09, np.mean(positives)
    assert np.mean(positives_without) > np.mean(positives), (np.mean(positives_without), np.mean(positives))


def test_the_congruence_config_names_unknown_reactions_emotions_and_repeated_tests():
    from conftest import load_config
    from mimicry.analysis.config import config_problems

    config = load_config()
    assert config_problems(config) == []
    congruence_config = config["analysis"]["congruence"]
    congruence_config["mapping"]["happy"] = ["smile", "grin"]
    congruence_config["contrasts"].append({"name": "happy", "reaction": "smile", "congruent": "neutral",
                                           "incongruent": "angry"})
    problems = "\n".join(config_problems(config))
    assert "analysis.congruence.mapping.happy: unknown reaction 'grin'" in problems
    assert "analysis.congruence.contrasts[happy]: unknown stimulus emotion 'neutral'" in problems
    assert "test names" in problems
