"""H2 analysis: every table checked against scipy / statsmodels / sklearn called here, or numbers by hand."""

import itertools

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mimicry.analysis import correlation, data, group_tests, mimicry_index, ols
from mimicry.analysis.config import config_problems
from mimicry.names import REACTIONS, STIMULUS_EMOTION_CODES, STIMULUS_EMOTIONS

from conftest import load_config

IDENTITIES = ("AF01", "AM10", "BF07", "BM13")


def synthetic_stimuli(ids, identities=IDENTITIES) -> pd.DataFrame:
    """The study's protocol: per participant one block per identity with all 7 stimulus emotions."""
    rows = [
        {"participant_id": pid, "stimulus": f"{ident}{STIMULUS_EMOTION_CODES[emotion]}S", "stimulus_emotion": emotion,
         "identity": ident, "block": block}
        for pid in ids
        for block, ident in enumerate(identities, start=1)
        for emotion in STIMULUS_EMOTIONS
    ]
    return pd.DataFrame(rows)


def synthetic_reactions(stimuli: pd.DataFrame, eq: pd.Series, seed: int = 0, windows=("full", "early")) -> pd.DataFrame:
    """Long reaction table (results/reactions.parquet contract) with planted congruent mimicry.

    Each participant's gain grows with EQ (by participant_id in ``eq``); the congruent reaction of a
    stimulus emotion (mimicry_index.CONGRUENT_PAIRS) gets 30 x gain on top of gamma noise. The early
    window sees 60% of the full window's max.
    """
    rng = np.random.default_rng(seed)
    z = (eq - eq.mean()) / eq.std()
    gain = (0.6 + 0.3 * z + rng.normal(0, 0.15, len(eq))).clip(lower=0)
    n = len(stimuli)
    long = stimuli.loc[stimuli.index.repeat(len(REACTIONS))].reset_index(drop=True)
    long["reaction"] = np.tile(REACTIONS, n)
    congruent = long["reaction"].to_numpy() == long["stimulus_emotion"].map(mimicry_index.CONGRUENT_PAIRS).to_numpy()
    value = rng.gamma(1.5, 3, len(long)) + congruent * 30 * long["participant_id"].map(gain).to_numpy()
    frames = []
    for window, share in zip(windows, (1.0, 0.6)):
        part = long.copy()
        part["window"] = window
        part["max"] = np.minimum(value * share, 100)
        part["mean"] = part["max"] / 2
        part["peak_latency_ms"] = 800.0
        part["n_frames"] = 30
        part["coverage"] = 1.0
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def features_of(reactions: pd.DataFrame, window: str = "full", how: str = "max") -> pd.DataFrame:
    """features.tsv computed here: per participant and reaction the max (or mean) over stimuli."""
    rows = reactions[reactions["window"] == window]
    wide = rows.pivot_table(index="participant_id", columns="reaction", values="max", aggfunc=how)
    return wide[list(REACTIONS)].reset_index().rename_axis(columns=None)


@pytest.fixture(scope="module")
def study():
    rng = np.random.default_rng(11)
    ids = [f"p{i:02d}" for i in range(1, 21)]
    eq = pd.Series(rng.normal(45, 10, len(ids)).round(), index=pd.Index(ids, name="participant_id"), name="eq_score")
    reactions = synthetic_reactions(synthetic_stimuli(ids), eq, seed=2)
    return eq, reactions, features_of(reactions)


def eq_frame(eq: pd.Series) -> pd.DataFrame:
    return eq.reset_index()


# ---------------------------------------------------------------- data


def test_participant_stimulus_rows_hold_each_stimulus_max_with_eq_repeated(study):
    eq, reactions, features = study
    table = data.unit_table("participant_stimulus", eq_frame(eq), features, reactions, "full")
    assert len(table) == len(eq) * 28 and table["participant_id"].nunique() == len(eq)
    row = table[(table.participant_id == "p03") & (table.stimulus == "BF07HAS")].iloc[0]
    raw = reactions[(reactions.participant_id == "p03") & (reactions.stimulus == "BF07HAS") & (reactions.window == "full")]
    for reaction in ("joy", "smile", "anger"):
        assert row[reaction] == raw.loc[raw.reaction == reaction, "max"].item()
    assert (table.groupby("participant_id")["eq_score"].nunique() == 1).all()
    assert row["eq_score"] == eq["p03"]


def test_participant_rows_are_features_of_participants_with_eq_complete_cases(study):
    eq, reactions, features = study
    features = features.copy()
    features.loc[features.participant_id == "p05", "joy"] = np.nan  # no usable window: dropped
    table = data.unit_table("participant", eq_frame(eq.drop("p07")), features, reactions)  # p07 has no EQ
    assert set(table.participant_id) == set(eq.index) - {"p05", "p07"}
    merged = table.set_index("participant_id")
    assert merged.loc["p10", "brow_furrow"] == features.set_index("participant_id").loc["p10", "brow_furrow"]


def test_unknown_window_and_duplicates_are_named(study):
    eq, reactions, features = study
    with pytest.raises(ValueError, match=r"window 'late'.*early, full"):
        data.unit_table("participant_stimulus", eq_frame(eq), features, reactions, "late")
    twice = pd.concat([reactions, reactions.iloc[[0]]])
    first = reactions.iloc[0]
    with pytest.raises(ValueError, match=f"participant {first.participant_id}, stimulus {first.stimulus}"):
        data.stimulus_features(twice, "full")
    with pytest.raises(ValueError, match="unknown analysis unit"):
        data.unit_table("stimulus", eq_frame(eq), features, reactions)


def test_participant_measure_by_hand():
    rows = pd.DataFrame(
        {
            "participant_id": ["a"] * 6,
            "stimulus_emotion": ["happy", "happy", "angry", "happy", "happy", "angry"],
            "reaction": ["joy", "joy", "joy", "smile", "smile", "smile"],
            "window": "early",
            "max": [10.0, 30.0, 90.0, 4.0, np.nan, 8.0],
        }
    )
    assert data.participant_measure(rows, "early", "joy", "happy", "max_of_max")["a"] == 30
    assert data.participant_measure(rows, "early", "joy", "happy", "mean_of_max")["a"] == 20
    # all reactions, all stimuli: joy max 90, smile max 8 (NaN skipped) -> mean 49
    assert data.participant_measure(rows, "early", None, None, "max_of_max")["a"] == 49
    # happy only, mean: joy 20, smile 4 -> 12
    assert data.participant_measure(rows, "early", None, "happy", "mean_of_max")["a"] == 12


def test_analysis_sample_explains_who_is_in():
    quality = pd.DataFrame({"participant_id": ["a", "b", "c"], "final_grade": [0, 2, 0], "reason": ["", "talking", ""]})
    eq = pd.DataFrame({"participant_id": ["a", "b"], "eq_score": [40.0, 50.0]})
    reactions = pd.DataFrame({"participant_id": ["a", "a", "c"], "stimulus": ["s1", "s2", "s1"]})
    sample = data.analysis_sample(quality, eq, reactions).set_index("participant_id")
    assert list(sample["included"]) == [True, False, False]
    assert list(sample["n_stimuli"]) == [2, 0, 1]
    assert sample.loc["b", "reason"] == "talking" and not sample.loc["c", "has_eq"]


# ---------------------------------------------------------------- correlations


@pytest.mark.parametrize("unit", ["participant", "participant_stimulus"])
def test_correlations_match_scipy_and_statsmodels(study, unit):
    eq, reactions, features = study
    table = data.unit_table(unit, eq_frame(eq), features, reactions)
    result = correlation.reaction_correlations(table, confidence=0.95, alpha=0.05)
    assert list(result["r"]) == sorted(result["r"], reverse=True)
    assert sorted(result["reaction"]) == sorted(REACTIONS)
    ref = {}
    for reaction in REACTIONS:
        res = stats.pearsonr(table[reaction], table["eq_score"])
        ci = res.confidence_interval(0.95)
        ref[reaction] = (res.statistic, res.pvalue, ci.low, ci.high)
    by = result.set_index("reaction")
    for reaction, (r, p, low, high) in ref.items():
        assert by.loc[reaction, "r"] == pytest.approx(r, abs=1e-12)
        assert by.loc[reaction, "p"] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert by.loc[reaction, "ci_low"] == pytest.approx(low, abs=1e-9)
        assert by.loc[reaction, "ci_high"] == pytest.approx(high, abs=1e-9)
        assert by.loc[reaction, "n"] == len(table)
        assert by.loc[reaction, "n_participants"] == len(eq)
    reject, p_bh, _, _ = multipletests([ref[r][1] for r in REACTIONS], alpha=0.05, method="fdr_bh")
    assert np.allclose(by.loc[list(REACTIONS), "p_bh"], p_bh, rtol=1e-9, atol=1e-300)
    assert list(by.loc[list(REACTIONS), "significant"]) == list(reject)
    assert by.loc["joy", "display_name"] == "Joy"


def test_constant_reaction_gets_no_r_and_is_not_counted_by_bh(study):
    eq, reactions, features = study
    table = data.unit_table("participant", eq_frame(eq), features, reactions)
    table["lip_suck"] = 0.0
    result = correlation.reaction_correlations(table).set_index("reaction")
    assert np.isnan(result.loc["lip_suck", "r"]) and np.isnan(result.loc["lip_suck", "p_bh"])
    others = [r for r in REACTIONS if r != "lip_suck"]
    _, p_bh, _, _ = multipletests(result.loc[others, "p"], method="fdr_bh")
    assert np.allclose(result.loc[others, "p_bh"], p_bh)
    assert correlation.reaction_correlations(table)["reaction"].iloc[-1] == "lip_suck"


# ---------------------------------------------------------------- OLS


def formula(features):
    return "eq_score ~ " + " + ".join(features)


def test_ols_matches_statsmodels_formula_api(study):
    eq, reactions, features = study
    rng = np.random.default_rng(5)
    # 60 participants so that 27 coefficients are estimable
    ids = [f"q{i:02d}" for i in range(60)]
    eq60 = pd.Series(rng.normal(45, 10, 60), index=pd.Index(ids, name="participant_id"), name="eq_score")
    table = data.unit_table("participant", eq_frame(eq60), features_of(synthetic_reactions(synthetic_stimuli(ids), eq60, 4)), None)
    coef, summary = ols.ols(table, confidence=0.95)
    ref = smf.ols(formula(REACTIONS), data=table).fit()
    coef = coef.set_index("term")
    names = {"Intercept": "const"}
    for term in ref.params.index:
        ours = coef.loc[names.get(term, term)]
        assert ours["coef"] == pytest.approx(ref.params[term], rel=1e-8, abs=1e-10)
        assert ours["std_err"] == pytest.approx(ref.bse[term], rel=1e-8)
        assert ours["p"] == pytest.approx(ref.pvalues[term], rel=1e-7)
        assert ours["ci_low"] == pytest.approx(ref.conf_int().loc[term, 0], rel=1e-8)
        assert ours["std_err_iid"] == ours["std_err"]
    s = summary.iloc[0]
    assert s["r2"] == pytest.approx(ref.rsquared) and s["adj_r2"] == pytest.approx(ref.rsquared_adj)
    assert s["f"] == pytest.approx(ref.fvalue) and s["f_p"] == pytest.approx(ref.f_pvalue)
    assert s["condition_number"] == pytest.approx(ref.condition_number)
    assert (s["n"], s["n_parameters"], s["cov_type"], s["note"]) == (60, 28, "nonrobust", "")


def test_ols_participant_stimulus_is_cluster_robust_by_participant(study):
    eq, reactions, features = study
    table = data.unit_table("participant_stimulus", eq_frame(eq), features, reactions)
    coef, summary = ols.ols(table, features=("joy", "anger", "smile"), cluster=True)
    groups = pd.factorize(table["participant_id"])[0]
    ref = smf.ols(formula(("joy", "anger", "smile")), data=table).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    iid = smf.ols(formula(("joy", "anger", "smile")), data=table).fit()
    coef = coef.set_index("term")
    assert np.allclose(coef["std_err"], ref.bse.to_numpy(), rtol=1e-8)
    assert np.allclose(coef["p"], ref.pvalues.to_numpy(), rtol=1e-7)
    assert np.allclose(coef["std_err_iid"], iid.bse.to_numpy(), rtol=1e-8)
    # EQ repeated on a participant's rows: the iid standard errors of the intercept and of joy (which
    # carries the participant's planted gain) are too small; smile is per-stimulus noise
    assert (coef.loc[["const", "joy"], "std_err"] > 1.4 * coef.loc[["const", "joy"], "std_err_iid"]).all()
    s = summary.iloc[0]
    assert s["cov_type"] == "cluster" and s["n_participants"] == len(eq) and s["n"] == len(table)
    assert s["f"] == pytest.approx(ref.fvalue) and s["note"] == ""


def test_ols_leaves_out_a_constant_reaction_and_says_so(study):
    eq, reactions, features = study
    table = data.unit_table("participant_stimulus", eq_frame(eq), features, reactions).assign(lip_pucker=0.0)
    used = ("joy", "anger", "smile")
    coef, summary = ols.ols(table, features=(*used, "lip_pucker"))
    ref = smf.ols(formula(used), data=table).fit()
    coef = coef.set_index("term")
    assert np.allclose(coef.loc[["const", *used], "coef"], ref.params.to_numpy())
    assert coef.loc["lip_pucker"].drop("note").isna().all() and coef.loc["lip_pucker", "note"] == "constant, left out"
    assert summary.iloc[0]["note"] == "constant, left out: lip_pucker" and summary.iloc[0]["n_parameters"] == 4


def test_ols_says_why_it_cannot_be_estimated(study):
    eq, reactions, features = study
    small = data.unit_table("participant", eq_frame(eq), features, reactions)  # 20 rows, 28 parameters
    coef, summary = ols.ols(small)
    assert coef["coef"].isna().all() and list(coef["term"]) == ["const", *REACTIONS]
    assert summary.iloc[0]["note"] == "not estimable: 20 usable participants; OLS with 28 parameters needs at least 29"
    stimulus_rows = data.unit_table("participant_stimulus", eq_frame(eq), features, reactions)
    coef, summary = ols.ols(stimulus_rows, cluster=True)  # 20 clusters cannot test 27 coefficients
    assert coef["std_err"].notna().all() and np.isnan(summary.iloc[0]["f"])
    assert "20 clusters cannot test 27" in summary.iloc[0]["note"]
    collinear = stimulus_rows.assign(smirk=stimulus_rows["smile"] * 2)
    assert "collinear" in ols.ols(collinear)[1].iloc[0]["note"]


# ---------------------------------------------------------------- group tests


def test_median_split_mwu_matches_scipy_and_hand_rank_biserial():
    rng = np.random.default_rng(8)
    ids = pd.Index([f"p{i}" for i in range(15)], name="participant_id")
    eq = pd.Series(rng.integers(30, 60, 15).astype(float), index=ids)
    measures = pd.DataFrame({"joy": rng.gamma(2, 5, 15) + (eq > eq.median()) * 5, "anger": rng.gamma(2, 5, 15)}, index=ids)
    measures.loc["p3", "anger"] = np.nan
    median = group_tests.split_threshold(eq, eq, "analysed_median")
    table = group_tests.median_split_mwu(measures, eq, median, high=">").set_index("measure")
    assert median == np.median(eq)
    for name in ("joy", "anger"):
        high = measures.loc[eq > median, name].dropna().to_numpy()
        low = measures.loc[eq <= median, name].dropna().to_numpy()
        ref = stats.mannwhitneyu(high, low, alternative="two-sided")
        pairs = [int(h > l) - int(h < l) for h, l in itertools.product(high, low)]
        row = table.loc[name]
        assert (row["n_high"], row["n_low"]) == (len(high), len(low))
        assert row["u"] == ref.statistic and row["p"] == pytest.approx(ref.pvalue)
        assert row["rank_biserial"] == pytest.approx(np.mean(pairs))
        assert row["threshold"] == median and row["median_high"] == np.median(high)
    assert table.loc["joy", "n_high"] + table.loc["joy", "n_low"] == 15
    assert table.loc["anger", "n_high"] + table.loc["anger", "n_low"] == 14


def test_median_split_threshold_from_config_and_where_ties_go():
    ids = pd.Index(list("abcdef"), name="participant_id")
    eq = pd.Series([40.0, 45, 45, 46, 50, 60], index=ids)
    measures = pd.DataFrame({"m": [1.0, 2, 3, 4, 5, 6]}, index=ids)
    row = group_tests.median_split_mwu(measures, eq, 45, high=">").iloc[0]
    assert (row["n_high"], row["n_low"], row["threshold"]) == (3, 3, 45)
    assert row["rank_biserial"] == 1.0  # every high value beats every low value
    row = group_tests.median_split_mwu(measures, eq, 45, high=">=").iloc[0]
    assert (row["n_high"], row["n_low"]) == (5, 1) and row["high"] == "EQ >= threshold"


def test_the_papers_split_26_high_24_low_at_45():
    """50 analysed participants, 24 below 45 and 2 at it: '>=' the analysed median gives the paper's 26/24,
    a strict '>' at most 24 (no cut above the median can reach 26); the median of all scored participants
    differs when the unanalysed ones are higher."""
    rng = np.random.default_rng(4)
    analysed = pd.Series(np.r_[rng.integers(25, 45, 24), [45, 45], rng.integers(46, 70, 24)].astype(float),
                         index=[f"p{i:03d}" for i in range(50)])
    scored = pd.concat([analysed, pd.Series(np.full(31, 60.0), index=[f"q{i}" for i in range(31)])])
    threshold = group_tests.split_threshold(analysed, scored, "analysed_median")
    assert threshold == np.median(analysed) == 45
    high = group_tests.median_split(analysed, threshold, ">=")
    assert (high.sum(), (~high).sum()) == (26, 24)
    assert group_tests.median_split(analysed, threshold, ">").sum() == 24
    assert group_tests.split_threshold(analysed, scored, "scored_median") == np.median(scored)
    assert group_tests.split_threshold(analysed, scored, 40) == 40.0


@pytest.mark.parametrize("welch", [False, True])
def test_glasses_ttest_matches_scipy(welch):
    rng = np.random.default_rng(2)
    ids = pd.Index([f"p{i}" for i in range(14)], name="participant_id")
    glasses = pd.Series(rng.random(14) < 0.4, index=ids)
    measures = pd.DataFrame({"all_reactions": rng.normal(10, 3, 14) + glasses * 2}, index=ids)
    row = group_tests.glasses_ttest(measures, glasses, welch=welch).iloc[0]
    a = measures.loc[glasses, "all_reactions"]
    b = measures.loc[~glasses, "all_reactions"]
    ref = stats.ttest_ind(a, b, equal_var=not welch)
    assert row["t"] == pytest.approx(ref.statistic) and row["p"] == pytest.approx(ref.pvalue)
    assert row["hedges_g"] == pytest.approx(pg.compute_effsize(a, b, paired=False, eftype="hedges"))
    assert row["df"] == pytest.approx(ref.df)
    assert (row["n_glasses"], row["n_no_glasses"]) == (len(a), len(b))
    assert row["mean_glasses"] == pytest.approx(a.mean()) and row["sd_no_glasses"] == pytest.approx(b.std())
    assert row["test"] == ("welch" if welch else "student")


def test_glasses_ttest_with_one_wearer_is_nan_not_an_error():
    ids = pd.Index(list("abcd"), name="participant_id")
    row = group_tests.glasses_ttest(pd.DataFrame({"m": [1.0, 2, 3, 4]}, index=ids), pd.Series([True, False, False, False], index=ids)).iloc[0]
    assert np.isnan(row["t"]) and row["n_glasses"] == 1


# ---------------------------------------------------------------- mimicry index


def test_congruent_index_by_hand():
    rows = []
    # participant a: joy 20 and 30 to happy faces, 5 and 5 to angry, 2 to neutral; anger 10 to angry, 4 elsewhere
    for stimulus, emotion, block, joy, anger in (
        ("H1", "happy", 1, 20, 4), ("H2", "happy", 2, 30, 4), ("A1", "angry", 1, 5, 10), ("A2", "angry", 2, 5, 10),
        ("N1", "neutral", 1, 2, 4),
    ):
        for reaction, value in (("joy", joy), ("anger", anger)):
            rows.append({"participant_id": "a", "stimulus": stimulus, "stimulus_emotion": emotion, "block": block,
                         "reaction": reaction, "window": "full", "max": float(value)})
    reactions = pd.DataFrame(rows)
    pairs = {"happy": "joy", "angry": "anger"}
    index = mimicry_index.congruent_index(reactions, pairs, "full").loc["a"]
    assert index["joy_to_happy"] == pytest.approx(25 - 4)  # 25 vs mean(5, 5, 2)
    assert index["anger_to_angry"] == pytest.approx(10 - 4)
    assert index["index"] == pytest.approx((21 + 6) / 2)
    block1 = mimicry_index.congruent_index(reactions, pairs, "full", blocks=[1]).loc["a"]
    assert block1["joy_to_happy"] == pytest.approx(20 - 3.5)


def test_index_summary_matches_scipy_and_spearman_brown(study):
    eq, reactions, _ = study
    halves = [[1, 3], [2, 4]]
    table = mimicry_index.index_table(reactions, eq_frame(eq), mimicry_index.CONGRUENT_PAIRS, "full", halves)
    assert list(table["participant_id"]) == sorted(eq.index)
    summary = mimicry_index.index_summary(table, halves).iloc[0]
    r_eq = stats.pearsonr(table["index"], table["eq_score"])
    r_half = np.corrcoef(table["index_half1"], table["index_half2"])[0, 1]
    t = stats.ttest_1samp(table["index"], 0)
    assert summary["r_eq"] == pytest.approx(r_eq.statistic) and summary["p_eq"] == pytest.approx(r_eq.pvalue)
    assert summary["split_half_r"] == pytest.approx(r_half)
    assert summary["spearman_brown"] == pytest.approx(2 * r_half / (1 + r_half))
    assert summary["t_index"] == pytest.approx(t.statistic) and summary["p_index"] == pytest.approx(t.pvalue)
    assert summary["halves"] == "1+3 vs 2+4" and summary["n"] == len(eq)
    # planted: mimicry exists, grows with EQ, and is measured reliably across blocks
    assert summary["mean_index"] > 5 and summary["r_eq"] > 0.5 and summary["spearman_brown"] > 0.7


# ---------------------------------------------------------------- config


def test_config_problems_name_the_key():
    config = load_config()
    config["analysis"]["measures"] = [
        {"name": "x", "window": "late", "reaction": "grin"},
        {"name": "x", "window": "early", "stimulus_emotion": "bored"},
    ]
    config["analysis"]["congruent"] = {"pairs": {"happy": "smiling"}, "halves": [[1, 2], [2, 3]]}
    problems = "\n".join(config_problems(config))
    for text in ("names must be unique", "window 'late'", "unknown reaction 'grin'", "stimulus_emotion 'bored'",
                 "congruent.pairs.happy: unknown reaction 'smiling'", "block(s) [2] are in both halves"):
        assert text in problems
    assert config_problems(load_config()) == []
