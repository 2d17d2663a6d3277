"""The analysis-unit trap, measured: with EQ unrelated to the face, participant x stimulus rows treated
as independent find effects and predict EQ; our participant rows, cluster-robust SEs and
participant-grouped splits do not. A simulated study of the paper's size (50 analysed participants x 28 stimuli)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import ShuffleSplit

from mimicry.analysis import correlation, ols, regression
from mimicry.names import REACTIONS

N_PARTICIPANTS, N_STIMULI = 50, 28


def null_study(rng: np.random.Generator) -> pd.DataFrame:
    """Participant x stimulus rows: each person has their own expressiveness per reaction (as real faces
    do), each stimulus adds noise, and EQ is drawn independently of all of it."""
    level = rng.normal(0, 1, (N_PARTICIPANTS, len(REACTIONS)))
    X = np.repeat(level, N_STIMULI, axis=0) + rng.normal(0, 1, (N_PARTICIPANTS * N_STIMULI, len(REACTIONS)))
    rows = pd.DataFrame(X, columns=list(REACTIONS))
    rows["participant_id"] = np.repeat([f"p{i:02d}" for i in range(N_PARTICIPANTS)], N_STIMULI)
    rows["eq_score"] = np.repeat(rng.normal(45, 10, N_PARTICIPANTS), N_STIMULI)
    return rows


def per_participant(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.groupby("participant_id", as_index=False).mean()


@pytest.fixture(scope="module")
def studies():
    rng = np.random.default_rng(2024)
    return [null_study(rng) for _ in range(30)]


def test_repeated_rows_make_null_correlations_significant(studies):
    false_positive = {"participant_stimulus": [], "participant": []}
    for rows in studies:
        for unit, table in (("participant_stimulus", rows), ("participant", per_participant(rows))):
            false_positive[unit].append((correlation.reaction_correlations(table)["p"] < 0.05).mean())
    assert np.mean(false_positive["participant"]) < 0.09  # about the nominal 5%
    assert np.mean(false_positive["participant_stimulus"]) > 0.4  # the study's unit: most reactions "significant"


def test_cluster_robust_ols_keeps_the_false_positive_rate_near_alpha(studies):
    features = ("joy", "anger", "smile")
    iid, clustered = [], []
    for rows in studies:
        coef, _ = ols.ols(rows, features=features, cluster=True)
        iid.append((coef["p_iid"][1:] < 0.05).mean())
        clustered.append((coef["p"][1:] < 0.05).mean())
    assert np.mean(iid) > 0.4
    assert np.mean(clustered) < 0.15


def test_random_row_split_predicts_eq_from_nothing_participant_split_does_not(studies):
    leaky, grouped = [], []
    for seed, rows in enumerate(studies[:15]):
        X, y, groups = rows[list(REACTIONS)].to_numpy(), rows["eq_score"].to_numpy(), rows["participant_id"].to_numpy()
        for scores, (train, test) in (
            (leaky, next(ShuffleSplit(n_splits=1, test_size=0.3, random_state=seed).split(X))),
            (grouped, regression.group_split(groups, 0.3, seed)),
        ):
            scores.append(r2_score(y[test], LinearRegression().fit(X[train], y[train]).predict(X[test])))
    assert np.median(leaky) > 0.1  # the same people on both sides: their EQ is recognised, not predicted
    assert np.median(grouped) < 0
