"""Recovery checks of the demo (mimicry.simulate.recovery) on hand-built results with known answers.

The truth is planted by the real simulator (plan_study on a generated cohort); the "results" are
built here from it with known distortions, and every number is checked against scipy or numpy
computed in the test. The last test runs validate_demo and power with snakemake on such results.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mimicry.simulate import cohort
from mimicry.analysis import congruence
from mimicry.simulate import plan, recovery
from mimicry.simulate import power as _power

from conftest import load_config, run_snakemake, tiny_config

Z975 = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def planted():
    """Truth and planted events of a 30-participant demo study (default config, 1 block)."""
    demo = load_config()["demo"]
    protocol = {**demo["protocol"], "identities": ["AF01"]}
    participants, _, stimuli, latent = cohort.generate_cohort(30, 5, demo["cohort"], protocol)
    return plan.plan_study(participants, stimuli, latent, {**demo, "seed": 5}, cohort.recording_ms(protocol))


def measured(events, max_of_peak, latency_offset=lambda e: 0.0, window="full", pre_level=3.0):
    """A long reaction table for the planted reactions: max = pre_level + max_of_peak(peak), latency planted
    + offset, pre-stimulus median pre_level, plus an unrelated reaction and window that must be ignored."""
    planted = events[events["event"] == "reaction"]
    rows = pd.DataFrame({
        "participant_id": planted["participant_id"], "stimulus": planted["stimulus"], "reaction": planted["reaction"],
        "window": window, "max": pre_level + max_of_peak(planted["peak"].to_numpy()), "pre_median": pre_level,
        "peak_latency_ms": planted["peak_latency_ms"].to_numpy() + latency_offset(planted),
    })
    noise = rows.assign(reaction="lip_suck", max=99.0, peak_latency_ms=0.0).drop_duplicates(["participant_id", "stimulus"])
    early = rows.assign(window="early", max=-50.0, peak_latency_ms=-1.0)
    return pd.concat([rows, noise, early], ignore_index=True)


def test_magnitudes_are_the_mean_recovered_max_of_the_planted_reactions(planted):
    truth, events = planted
    matched = recovery.matched_events(events, measured(events, lambda p: 10 + 40 * p, pre_level=0.0), "full")
    assert len(matched) == (events["event"] == "reaction").sum()
    people = recovery.congruent_magnitudes(matched)
    expected = events[events["event"] == "reaction"].groupby("participant_id")["peak"].mean()
    np.testing.assert_allclose(people.set_index("participant_id")["recovered_magnitude"], 10 + 40 * expected)
    np.testing.assert_allclose(people.set_index("participant_id")["gain"],
                               truth.set_index("participant_id").loc[expected.index, "gain"])


def test_only_measured_participants_count_and_a_lost_reaction_is_named(planted):
    _, events = planted
    reactions = measured(events, lambda p: 40 * p)
    unusable = events["participant_id"].iloc[0]
    reactions = reactions[reactions["participant_id"] != unusable]
    matched = recovery.matched_events(events, reactions, "full")
    assert unusable not in set(matched["participant_id"])
    dropped = reactions[(reactions["reaction"] != "lip_suck") & (reactions["window"] == "full")].iloc[3]
    with pytest.raises(ValueError, match=f"participant {dropped.participant_id}, stimulus {dropped.stimulus}"):
        recovery.matched_events(events, reactions.drop(index=dropped.name), "full")


def fisher_by_hand(r, n):
    half = Z975 / math.sqrt(n - 3)
    return math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)


def test_correlation_check_is_pearson_with_a_fisher_interval():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = 0.5 * x + rng.normal(size=40)
    r, _ = stats.pearsonr(x, y)
    low, high = fisher_by_hand(r, 40)
    inside = recovery.correlation_check("c", (low + high) / 2, x, y, 0.95, "")
    assert inside["recovered"] == pytest.approx(r) and inside["n"] == 40
    assert (inside["ci_low"], inside["ci_high"]) == pytest.approx((low, high))
    assert inside["passed"] is True
    assert recovery.correlation_check("c", high + 0.01, x, y, 0.95, "")["passed"] is False
    assert recovery.correlation_check("c", low - 0.01, x, y, 0.95, "")["passed"] is False
    # above_zero: the interval must exclude 0; here it does, for -y it lies below
    assert recovery.correlation_check("c", 1.0, x, y, 0.95, "", "above_zero")["passed"] is (low > 0)
    assert recovery.correlation_check("c", 1.0, x, -y, 0.95, "", "above_zero")["passed"] is False
    # too few pairs for an interval: never passes
    assert recovery.correlation_check("c", 0.0, x[:3], y[:3], 0.95, "")["passed"] is False


def test_latency_errors_against_numpy(planted):
    _, events = planted
    offsets = np.array([100.0, -300.0, 900.0, 20.0])

    def offset(rows):
        return offsets[np.arange(len(rows)) % len(offsets)]

    matched = recovery.matched_events(events, measured(events, lambda p: 40 * p, offset), "full")
    rows = {r["check"]: r for r in recovery.latency_checks(matched, tolerance_ms=500, min_peak=0.3)}
    strong = matched[matched["peak"] >= 0.3]
    assert 0 < len(strong) < len(matched)  # some planted reactions are too weak to time
    overall = rows["peak_latency"]
    assert overall["n"] == len(strong)
    assert overall["planted"] == pytest.approx(np.median(strong["peak_latency_ms"]))
    assert overall["recovered"] == pytest.approx(np.median(strong["peak_latency_ms"] + strong["latency_error_ms"]))
    median_error = np.median(np.abs(strong["latency_error_ms"]))
    assert f"median |error| of the seen {median_error:.0f} ms" in overall["note"]
    assert overall["passed"] is bool(median_error <= 500)
    smile = strong[strong["reaction"] == "smile"]
    assert rows["peak_latency_smile"]["n"] == len(smile)
    assert rows["peak_latency_smile"]["recovered"] == pytest.approx(np.median(smile["recovered_latency_ms"]))
    # a tolerance below the median error fails
    assert recovery.latency_checks(matched, tolerance_ms=median_error - 1, min_peak=0.3)[0]["passed"] is False
    assert set(rows) == {"peak_latency"} | {f"peak_latency_{r}" for r in strong["reaction"]}


def test_a_flat_recovered_trace_is_a_miss_not_a_latency(planted):
    """A max less than SEEN_POINTS above the pre-stimulus level (a flat trace: its "peak" is noise, here the
    first frame) for most smiles."""
    _, events = planted
    reactions = measured(events, lambda p: 40 * p)
    smile_rows = reactions.index[(reactions["reaction"] == "smile") & (reactions["window"] == "full")]
    flat = smile_rows[: int(0.6 * len(smile_rows))]
    reactions.loc[flat, ["max", "peak_latency_ms"]] = [3.0 + recovery.SEEN_POINTS - 0.5, 0.0]
    matched = recovery.matched_events(events, reactions, "full")
    smiles = matched.index[(matched["reaction"] == "smile") & (matched["peak"] >= 0.3)]
    unseen = smiles[~matched.loc[smiles, "seen"].to_numpy()]
    assert 0.5 < len(unseen) / len(smiles) < 0.7
    rows = {r["check"]: r for r in recovery.latency_checks(matched, tolerance_ms=500, min_peak=0.3)}
    smile = rows["peak_latency_smile"]
    seen = matched.loc[smiles.difference(unseen)]
    assert smile["n"] == len(smiles) and smile["passed"] is False  # 60% missed, though the seen are exact
    assert smile["recovered"] == pytest.approx(np.median(seen["recovered_latency_ms"]))
    assert f"{len(seen)} of {len(smiles)} planted reactions" in smile["note"] and "of the seen 0 ms" in smile["note"]
    assert rows["peak_latency_cheek_raise"]["passed"] is True
    checks = {r["check"]: r for r in recovery.seen_checks(matched, min_peak=0.3)}
    assert checks["seen_smile"]["recovered"] == len(smiles) - len(unseen) and checks["seen_smile"]["passed"] is False
    assert checks["seen_cheek_raise"]["recovered"] == checks["seen_cheek_raise"]["planted"]
    assert checks["seen_cheek_raise"]["passed"] is True


def test_seen_means_at_least_ten_points_above_the_pre_stimulus_level(planted):
    """Strict detection: 10 points above the pre-stimulus median is seen, 9.9 is not, whatever the
    absolute level (a high resting level alone is never a reaction)."""
    _, events = planted
    for rise, expected in ((10.0, True), (9.9, False)):
        reactions = measured(events, lambda p: np.full(len(p), rise), pre_level=55.0)
        assert (recovery.matched_events(events, reactions, "full")["seen"] == expected).all()


def test_quality_confusion_counts(planted):
    truth, _ = planted
    grades = {"none": 0, "camera_off": 3, "hand_over_mouth": 2, "talking": 0}  # talking missed
    quality = truth[["participant_id"]].assign(final_grade=truth["problem"].map(grades))
    false_positive = truth.loc[truth["problem"] == "none", "participant_id"].iloc[0]
    quality.loc[quality["participant_id"] == false_positive, "final_grade"] = 1
    rows = {r["check"]: r for r in recovery.quality_checks(recovery.flagged(truth, quality, 0), 0)}
    counts = truth["problem"].value_counts()
    assert set(rows) == {f"quality_{g}" for g in counts.index}
    assert rows["quality_none"]["planted"] == counts["none"] and rows["quality_none"]["recovered"] == 1
    assert rows["quality_none"]["passed"] is False and f"{false_positive} 1" in rows["quality_none"]["note"]
    assert rows["quality_camera_off"]["recovered"] == counts["camera_off"] and rows["quality_camera_off"]["passed"] is True
    assert rows["quality_talking"]["recovered"] == 0 and rows["quality_talking"]["passed"] is False
    # with grade 1 allowed, the false positive is no longer excluded
    assert recovery.quality_checks(recovery.flagged(truth, quality, 1), 1)[0]["recovered"] == 0
    with pytest.raises(ValueError, match=truth["participant_id"].iloc[-1]):
        recovery.flagged(truth, quality.iloc[:-1], 0)


def test_calibration_against_linregress(planted):
    truth, events = planted
    rng = np.random.default_rng(3)
    reactions = measured(events, lambda p: 12 + 30 * p + rng.normal(0, 8, len(p)))
    usable = truth["participant_id"].iloc[2:]
    reactions = reactions[reactions["participant_id"].isin(usable)]
    quality = truth[["participant_id"]].assign(final_grade=np.where(truth["participant_id"].isin(usable), 0, 2))
    table = recovery.calibration_table(truth, events, reactions, quality, max_grade=0, window="full")
    values = dict(zip(table["parameter"], table["value"]))
    people = reactions[reactions["window"] == "full"].merge(events[["participant_id", "stimulus", "reaction", "gain"]])
    per = people.groupby("participant_id").agg(gain=("gain", "first"), magnitude=("max", "mean"))
    fit = stats.linregress(per["gain"], per["magnitude"])
    slope, intercept = np.polyfit(per["gain"], per["magnitude"], 1)
    residual_sd = np.sqrt(np.sum((per["magnitude"] - intercept - slope * per["gain"]) ** 2) / (len(per) - 2))
    assert values["magnitude_slope"] == pytest.approx(fit.slope) and values["magnitude_intercept"] == pytest.approx(fit.intercept)
    assert values["magnitude_residual_sd"] == pytest.approx(residual_sd)
    assert table.loc[table["parameter"] == "magnitude_slope", "n"].item() == len(usable)
    graded = truth.assign(flagged=~truth["participant_id"].isin(usable))
    for group in recovery.GROUPS:
        members = graded[graded["problem"] == group]
        expected = members["flagged"].mean() if len(members) else np.nan
        np.testing.assert_equal(values[f"excluded_{group}"], expected)


def test_recovery_table_rows_and_pass_rules(planted):
    truth, events = planted
    rng = np.random.default_rng(4)
    reactions = measured(events, lambda p: 5 + 40 * p + rng.normal(0, 3, len(p)), lambda e: rng.normal(0, 100, len(e)))
    eq = truth[["participant_id"]].assign(eq_score=truth["latent_eq"].round())
    quality = truth[["participant_id"]].assign(final_grade=np.where(truth["problem"] == "none", 0, 2))
    summary = pd.DataFrame({"r_eq": [0.2], "ci_low": [-0.1], "ci_high": [0.45], "n_eq": [30]})
    kwargs = dict(max_grade=0, confidence=0.95, window="full", tolerance_ms=500, min_peak=0.3)
    table = recovery.recovery_table(truth, events, reactions, eq, quality, summary, eq_r=0.3, **kwargs)
    assert list(table.columns) == list(recovery.RECOVERY_COLUMNS)
    rows = table.set_index("check")
    people = recovery.congruent_magnitudes(recovery.matched_events(events, reactions, "full")).merge(eq)
    r, _ = stats.pearsonr(people["eq_score"], people["recovered_magnitude"])
    assert rows.loc["eq_magnitude_r", "recovered"] == pytest.approx(r)
    low, high = fisher_by_hand(r, len(people))
    assert rows.loc["eq_magnitude_r", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])
    assert rows.loc["eq_magnitude_r", "passed"] == (low <= 0.3 <= high)
    r_truth, _ = stats.pearsonr(truth["latent_eq"], truth["gain"])
    assert rows.loc["planted_eq_gain_r", "recovered"] == pytest.approx(r_truth)
    assert rows.loc["gain_magnitude_r", "passed"]  # magnitudes follow the gains closely here
    assert rows.loc["eq_mimicry_index_r", "passed"] and rows.loc["eq_mimicry_index_r", "n"] == 30
    assert rows.loc["peak_latency", "passed"] and rows.loc["quality_none", "passed"]
    # a planted value outside the intervals fails the correlation checks
    far = recovery.recovery_table(truth, events, reactions, eq, quality, summary, eq_r=-0.9, **kwargs).set_index("check")
    assert not far.loc["eq_magnitude_r", "passed"] and not far.loc["eq_mimicry_index_r", "passed"]


def synthetic_trials(tmp_path, config, events, usable, rng):
    """results/trials.parquet of the usable participants: one 500 ms bin per stimulus x reaction of the congruence
    tests, response = 6 x the mean planted peak of that reaction on that trial + N(0, 0.5)."""
    stimuli = pd.read_csv(tmp_path / config["demo"]["outdir"] / "stimuli.tsv", sep="\t")
    stimuli = stimuli[stimuli["participant_id"].isin(usable)]
    reactions = sorted({r for rs in config["analysis"]["congruence"]["mapping"].values() for r in rs})
    rows = stimuli.merge(pd.DataFrame({"reaction": reactions}), how="cross")
    peaks = events.loc[events["event"] == "reaction", ["participant_id", "stimulus", "reaction", "peak"]]
    rows = rows.merge(peaks, how="left").fillna({"peak": 0.0})
    rows["response"] = 6 * rows["peak"] + rng.normal(0, 0.5, len(rows))
    rows = rows.assign(bin_start_ms=0.0, bin_end_ms=500.0, response_z=rows["response"])
    rows.drop(columns=["peak"]).to_parquet(tmp_path / "results/trials.parquet", index=False)


@pytest.mark.workflow
def test_validate_demo_and_power_run_with_snakemake(tmp_path):
    """validate_demo and power, for real, on a tiny demo whose reaction features are written from its truth."""
    config = tiny_config(n_participants=8)
    config["demo_validation"] = {"power": {"sizes": [10, 40], "effects": [0.0, 0.6], "n_repeats": 30,
                                           "interaction_test": "happy", "interaction_repeats": 3}}
    outdir = config["demo"]["outdir"]
    run_snakemake(tmp_path, config, f"{outdir}/truth.tsv", "results/eq_scores.tsv",
                  "--allowed-rules", "demo_cohort", "demo_truth", "score_eq")
    truth = pd.read_csv(tmp_path / outdir / "truth.tsv", sep="\t")
    events = pd.concat([pd.read_csv(p, sep="\t") for p in sorted((tmp_path / outdir / "truth").glob("*.tsv"))])
    usable = truth.loc[truth["problem"] == "none", "participant_id"]
    rng = np.random.default_rng(0)
    reactions = measured(events[events["participant_id"].isin(usable)], lambda p: 8 + 35 * p + rng.normal(0, 4, len(p)))
    reactions.to_parquet(tmp_path / "results/reactions.parquet", index=False)
    truth[["participant_id"]].assign(final_grade=np.where(truth["problem"] == "none", 0, 2)).to_csv(
        tmp_path / "results/quality.tsv", sep="\t", index=False)
    (tmp_path / "results/tables").mkdir(parents=True)
    pd.DataFrame({"r_eq": [0.1], "ci_low": [-0.6], "ci_high": [0.7], "n_eq": [len(usable)]}).to_csv(
        tmp_path / "results/tables/mimicry_index_summary.tsv", sep="\t", index=False)
    synthetic_trials(tmp_path, config, events, usable, rng)
    run_snakemake(tmp_path, config, "validate_demo", "power", "--allowed-rules", "congruence_models", "validate_demo", "power")

    table = pd.read_csv(tmp_path / "results/tables/demo_recovery.tsv", sep="\t").set_index("check")
    assert list(table.reset_index().columns) == list(recovery.RECOVERY_COLUMNS)
    assert table.loc["eq_magnitude_r", "n"] == len(usable) and table.loc["eq_magnitude_r", "planted"] == 0.3
    assert table.loc["quality_none", "passed"] and table.loc["peak_latency", "passed"]
    tests = congruence.tests(config["analysis"]["congruence"]["mapping"], config["analysis"]["congruence"]["contrasts"])
    for test in tests:  # 6 points per unit of planted intensity, clearly detected with 6 participants
        assert table.loc[f"congruence_{test['test']}", "passed"], test["test"]
        assert np.isfinite(table.loc[f"eq_moderation_{test['test']}", ["planted", "recovered", "ci_low"]].astype(float)).all()
    calibration = pd.read_csv(tmp_path / "results/tables/demo_calibration.tsv", sep="\t").set_index("parameter")
    assert np.isfinite(calibration.loc["transfer_happy_var_residual_congruent", "value"])
    knots = pd.read_csv(tmp_path / "results/tables/demo_transfer.tsv", sep="\t")
    assert set(knots["test"]) == {t["test"] for t in tests}
    power = pd.read_csv(tmp_path / "results/tables/power.tsv", sep="\t")
    assert len(power) == 4 and (power["n_repeats"] == 30).all()
    assert list(power.columns) == [*_power.POWER_COLUMNS, *_power.INTERACTION_COLUMNS]
    assert (power["interaction_repeats"] == 3).all() and (power["interaction_test"] == "happy").all()
    assert power["interaction_coverage"].between(0, 1).all() and np.isfinite(power["planted_moderation"]).all()
    assert (tmp_path / "results/figures/power.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
