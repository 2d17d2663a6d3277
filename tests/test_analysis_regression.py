"""Table 3: participant-grouped splits, the elastic-net search and the nine models, against sklearn here."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import ElasticNet, LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import GridSearchCV, GroupKFold, GroupShuffleSplit, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mimicry.analysis import data, regression
from mimicry.names import EMOTIONS, REACTIONS

from test_analysis import features_of, synthetic_reactions, synthetic_stimuli

SETTINGS = {"test_size": 0.3, "folds": 3, "alphas": (0.1, 1.0, 10.0), "l1_ratios": (0.2, 0.8), "n_permutations": 9}


def cohort(n: int, seed: int):
    rng = np.random.default_rng(seed)
    ids = [f"p{i:02d}" for i in range(n)]
    eq = pd.Series(rng.normal(45, 10, n).round(), index=pd.Index(ids, name="participant_id"), name="eq_score")
    reactions = synthetic_reactions(synthetic_stimuli(ids), eq, seed=seed + 1)
    return eq.reset_index(), reactions


@pytest.fixture(scope="module")
def tables():
    eq, reactions = cohort(18, 3)
    return {unit: data.unit_table(unit, eq, features_of(reactions), reactions) for unit in data.UNITS}


@pytest.mark.parametrize("seed", range(5))
def test_group_splits_never_put_a_participant_on_both_sides(tables, seed):
    groups = tables["participant_stimulus"]["participant_id"].to_numpy()
    train, test = regression.group_split(groups, 0.3, seed)
    assert not set(groups[train]) & set(groups[test])
    assert len(train) + len(test) == len(groups)
    assert len(set(groups[test])) == int(np.ceil(0.3 * 18))  # 30% of the participants, not of the rows
    seen = []
    for fold_train, fold_test in regression.group_kfold(5, seed).split(groups, groups=groups):
        assert not set(groups[fold_train]) & set(groups[fold_test])
        seen.extend(set(groups[fold_test]))
    assert sorted(seen) == sorted(set(groups))  # each participant tested exactly once


def test_elastic_net_search_is_gridsearchcv_with_a_scaler_pipeline(tables):
    for table in tables.values():
        X, y = table[list(REACTIONS)].to_numpy(), table["eq_score"].to_numpy()
        groups = table["participant_id"].to_numpy()
        ours = regression.ElasticNetSearch((0.01, 0.1, 1.0, 10.0), (0.1, 0.5, 0.9), folds=4, seed=7).fit(X, y, groups)
        pipeline = Pipeline([("scale", StandardScaler()), ("model", ElasticNet(max_iter=10_000))])
        grid = {"model__alpha": [0.01, 0.1, 1.0, 10.0], "model__l1_ratio": [0.1, 0.5, 0.9]}
        ref = GridSearchCV(pipeline, grid, cv=GroupKFold(4, shuffle=True, random_state=7), scoring="neg_mean_squared_error")
        ref.fit(X, y, groups=groups)
        assert ours.best_params_ == {"alpha": ref.best_params_["model__alpha"], "l1_ratio": ref.best_params_["model__l1_ratio"]}
        # same candidates' errors up to the coordinate-descent tolerance (warm starts end elsewhere within it)
        assert np.allclose(ours.cv_mse_.ravel(), -ref.cv_results_["mean_test_score"], rtol=1e-2)
        assert np.allclose(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("unit", data.UNITS)
def test_regression_table_matches_sklearn_fits(tables, unit):
    table = tables[unit]
    result = regression.regression_models(table, seed=4, **SETTINGS)
    assert result.shape == (9, len(regression.COLUMNS))
    assert list(zip(result["feature_set"], result["model"])) == [
        (f, m) for f in regression.FEATURE_SETS for m in regression.MODELS
    ]
    assert (result["note"] == "").all() and (result["n_permutations"] == 9).all()
    X, y = table[list(EMOTIONS)].to_numpy(), table["eq_score"].to_numpy()
    groups = table["participant_id"].to_numpy()
    rows = result[result["feature_set"] == "emotions"].set_index("model")
    # in-sample, as the study
    in_sample = LinearRegression().fit(X, y).predict(X)
    assert rows.loc["linear_all", "r2"] == pytest.approx(r2_score(y, in_sample))
    assert rows.loc["linear_all", "mae"] == pytest.approx(mean_absolute_error(y, in_sample))
    # 70/30 split of participants
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=4).split(X, y, groups))
    held_out = LinearRegression().fit(X[train], y[train]).predict(X[test])
    assert rows.loc["linear_split", "r2"] == pytest.approx(r2_score(y[test], held_out))
    assert (rows.loc["linear_split", "n_train"], rows.loc["linear_split", "n_test"]) == (len(train), len(test))
    assert rows.loc["linear_split", "n_participants_test"] == len(set(groups[test]))
    # out-of-sample R2 of participant-grouped 3-fold CV
    oof = cross_val_predict(LinearRegression(), X, y, groups=groups, cv=GroupKFold(3, shuffle=True, random_state=4))
    assert rows.loc["linear_split", "cv_r2"] == pytest.approx(r2_score(y, oof))
    # tuned model: grid search on the train part, scored on the test part
    pipeline = Pipeline([("scale", StandardScaler()), ("model", ElasticNet(max_iter=10_000))])
    grid = {"model__alpha": [0.1, 1.0, 10.0], "model__l1_ratio": [0.2, 0.8]}
    search = GridSearchCV(pipeline, grid, cv=GroupKFold(3, shuffle=True, random_state=4), scoring="neg_mean_squared_error")
    search.fit(X[train], y[train], groups=groups[train])
    assert rows.loc["elastic_net_cv", "alpha"] == search.best_params_["model__alpha"]
    assert rows.loc["elastic_net_cv", "r2"] == pytest.approx(r2_score(y[test], search.predict(X[test])), rel=1e-4)
    assert 1 / 10 <= rows["r2_permutation_p"].min() and rows["r2_permutation_p"].max() <= 1


def test_same_seed_same_table_other_seed_other_split():
    eq, reactions = cohort(10, 5)
    table = data.unit_table("participant_stimulus", eq, None, reactions)
    settings = {**SETTINGS, "n_permutations": 3}
    first = regression.regression_models(table, seed=1, **settings)
    pd.testing.assert_frame_equal(first, regression.regression_models(table, seed=1, **settings))
    other = regression.regression_models(table, seed=2, **settings)
    assert not np.allclose(first["r2"], other["r2"])


def test_permutations_shuffle_eq_between_participants_only(tables):
    table = tables["participant_stimulus"]
    y, groups = table["eq_score"].to_numpy(), table["participant_id"].to_numpy()
    rng = np.random.default_rng(0)
    shuffled = regression.permute_between_groups(y, groups, rng)
    per_participant = pd.Series(shuffled).groupby(groups)
    assert (per_participant.nunique() == 1).all()  # still one EQ per participant
    assert sorted(per_participant.first()) == sorted(pd.Series(y).groupby(groups).first())
    assert not np.array_equal(shuffled, y)
    with pytest.raises(ValueError, match="varies within a participant"):
        regression.permute_between_groups(np.arange(len(y), dtype=float), groups, rng)


def test_permutation_p_separates_signal_from_noise():
    rng = np.random.default_rng(1)
    n = 40
    X = rng.normal(size=(n, 3))
    y_signal = X @ [3.0, -2.0, 1.0] + rng.normal(0, 0.5, n)
    groups = np.arange(n)
    rows = np.arange(n)
    linear = LinearRegression()
    observed = r2_score(y_signal, linear.fit(X, y_signal).predict(X))
    assert regression.permutation_p(linear, X, y_signal, groups, rows, rows, observed, 49, seed=0) == pytest.approx(1 / 50)
    # a model as good as chance: its R2 sits in the middle of the permutation distribution
    y_noise = rng.normal(size=n)
    observed = r2_score(y_noise, linear.fit(X, y_noise).predict(X))
    assert regression.permutation_p(linear, X, y_noise, groups, rows, rows, observed, 49, seed=0) > 0.1


def test_in_sample_fit_with_as_many_features_as_participants_is_perfect_and_worthless():
    rng = np.random.default_rng(9)
    table = pd.DataFrame(rng.gamma(2, 5, (12, len(REACTIONS))), columns=list(REACTIONS))  # unrelated to EQ
    table.insert(0, "participant_id", [f"p{i}" for i in range(12)])
    table["eq_score"] = rng.normal(45, 10, 12)
    result = regression.regression_models(table, seed=0, **SETTINGS).set_index(["feature_set", "model"])
    row = result.loc[("emotions_expressions", "linear_all")]
    assert row["r2"] == pytest.approx(1.0) and row["r2_permutation_p"] == 1.0
    assert row["cv_r2"] < 0


def test_too_few_participants_gives_a_note_not_a_crash():
    eq, reactions = cohort(5, 2)
    table = data.unit_table("participant_stimulus", eq, None, reactions)
    result = regression.regression_models(table, seed=0, **{**SETTINGS, "folds": 5})
    assert result["r2"].isna().all() and result["n_train"].gt(0).all()
    assert result["note"].str.contains("participants").all()
