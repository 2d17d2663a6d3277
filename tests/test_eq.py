"""EQ scoring against hand-worked answer sets."""

import numpy as np
import pandas as pd
import pytest

from mimicry import eq

ITEMS = [f"q{i}" for i in range(1, 61)]


def sheet(*answer_sets):
    return pd.DataFrame([{"participant_id": f"p{k}", **dict(zip(ITEMS, a))} for k, a in enumerate(answer_sets)])


def test_key_partitions_the_60_items():
    all_items = set(eq.AGREE_SCORED) | set(eq.DISAGREE_SCORED) | set(eq.FILLERS)
    assert all_items == set(range(1, 61))
    assert len(eq.AGREE_SCORED) + len(eq.DISAGREE_SCORED) == 40 and len(eq.FILLERS) == 20


def test_all_strongly_agree_scores_two_per_agree_item():
    # 21 agree-scored items x 2 points; disagree-scored and fillers give 0.
    scores = eq.score_eq(sheet(["strongly agree"] * 60))
    assert scores.loc[0, "eq_score"] == 42
    assert scores.loc[0, "status"] == "ok" and scores.loc[0, "n_scored_answered"] == 40


def test_all_strongly_disagree_scores_two_per_disagree_item():
    assert eq.score_eq(sheet(["strongly disagree"] * 60)).loc[0, "eq_score"] == 38


def test_slight_answers_score_one_point():
    scores = eq.score_eq(sheet(["slightly agree"] * 60, ["slightly disagree"] * 60))
    assert list(scores["eq_score"]) == [21, 19]


def test_maximum_and_minimum_answer_sets():
    best = ["strongly agree" if i in eq.AGREE_SCORED else "strongly disagree" for i in range(1, 61)]
    worst = ["strongly disagree" if i in eq.AGREE_SCORED else "strongly agree" for i in range(1, 61)]
    assert list(eq.score_eq(sheet(best, worst))["eq_score"]) == [80, 0]


def test_mixed_hand_worked_set():
    # q1 strongly agree (agree item, 2), q4 slightly disagree (disagree item, 1), q6 slightly agree (1),
    # q8 strongly agree (disagree item, 0); everything else answered with a 0-point label.
    answers = ["strongly disagree" if i in eq.AGREE_SCORED else "strongly agree" for i in range(1, 61)]
    answers[0], answers[3], answers[5], answers[7] = "strongly agree", "slightly disagree", "slightly agree", "strongly agree"
    assert eq.score_eq(sheet(answers)).loc[0, "eq_score"] == 4


def test_fillers_never_score():
    answers = ["strongly disagree" if i in eq.AGREE_SCORED else "strongly agree" for i in range(1, 61)]
    for filler in eq.FILLERS:  # the best answer either way on a filler still gives 0
        answers[filler - 1] = "strongly agree"
    assert eq.score_eq(sheet(answers)).loc[0, "eq_score"] == 0


def test_numeric_coding_equals_labels():
    labels = [eq.LABELS[(i * 7) % 4] for i in range(60)]
    numbers = [str(eq.LABELS.index(label) + 1) for label in labels]
    a, b = eq.score_eq(sheet(labels, numbers))["eq_score"]
    assert a == b


def test_missing_scored_item_is_excluded_not_scored_low():
    answers = ["strongly agree"] * 60
    answers[0] = ""  # q1 is agree-scored
    row = eq.score_eq(sheet(answers)).loc[0]
    assert np.isnan(row["eq_score"]) and row["status"] == "missing_items: 1" and row["n_scored_answered"] == 39


def test_missing_filler_does_not_matter():
    answers = ["strongly agree"] * 60
    answers[1] = ""  # q2 is a filler
    assert eq.score_eq(sheet(answers)).loc[0, "eq_score"] == 42


def test_prorate_policy_scales_answered_items():
    answers = ["strongly agree"] * 60
    answers[0] = ""  # lose 2 of 42 points: 40 points over 39 answered items, times 40
    row = eq.score_eq(sheet(answers), missing="prorate", max_missing=2).loc[0]
    assert row["eq_score"] == pytest.approx(40 * 40 / 39) and row["status"] == "prorated"
    too_many = eq.score_eq(sheet(answers), missing="prorate", max_missing=0).loc[0]
    assert np.isnan(too_many["eq_score"])


def test_invalid_answer_is_an_error():
    with pytest.raises(ValueError, match="q4"):
        eq.score_eq(sheet(["strongly agree"] * 3 + ["maybe"] + ["strongly agree"] * 56))
