"""Empathy Quotient scoring (Baron-Cohen & Wheelwright, 2004).

60 items: 40 scored, 20 fillers. On an agree-scored item "strongly agree" gives 2 points and
"slightly agree" 1; on a disagree-scored item "strongly disagree" gives 2 and "slightly disagree" 1;
every other answer gives 0. The total ranges 0-80.

Answers are the four labels or the numeric coding 1 = strongly agree, 2 = slightly agree,
3 = slightly disagree, 4 = strongly disagree. A blank answer is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGREE_SCORED = (1, 6, 19, 22, 25, 26, 35, 36, 37, 38, 41, 42, 43, 44, 52, 54, 55, 57, 58, 59, 60)
DISAGREE_SCORED = (4, 8, 10, 11, 12, 14, 15, 18, 21, 27, 28, 29, 32, 34, 39, 46, 48, 49, 50)
FILLERS = (2, 3, 5, 7, 9, 13, 16, 17, 20, 23, 24, 30, 31, 33, 40, 45, 47, 51, 53, 56)
SCORED_ITEMS = tuple(sorted(AGREE_SCORED + DISAGREE_SCORED))
MAX_SCORE = 2 * len(SCORED_ITEMS)

LABELS = ("strongly agree", "slightly agree", "slightly disagree", "strongly disagree")
#: Numeric coding accepted in the sheet: 1-4 in the order of LABELS.
NUMERIC_CODING = {str(i + 1): label for i, label in enumerate(LABELS)}
#: Points per answer on an agree-scored and on a disagree-scored item.
AGREE_POINTS = {"strongly agree": 2, "slightly agree": 1, "slightly disagree": 0, "strongly disagree": 0}
DISAGREE_POINTS = {label: AGREE_POINTS[mirror] for label, mirror in zip(LABELS, reversed(LABELS))}

MISSING_POLICIES = ("exclude", "prorate")


def item_points(item: int, answer: str) -> float:
    """Points (0, 1 or 2) of one answer to item ``item`` (1-60); NaN for a blank answer."""
    answer = NUMERIC_CODING.get(answer, answer)
    if answer == "":
        return np.nan
    if answer not in AGREE_POINTS:
        raise ValueError(f"item q{item}: {answer!r} is not one of {', '.join(LABELS)} or 1-4")
    if item in AGREE_SCORED:
        return AGREE_POINTS[answer]
    if item in DISAGREE_SCORED:
        return DISAGREE_POINTS[answer]
    return 0


def score_eq(responses: pd.DataFrame, missing: str = "exclude", max_missing: int = 0) -> pd.DataFrame:
    """Score EQ answers, one row per participant.

    Parameters
    ----------
    responses : DataFrame with participant_id and q1..q60 (strings; "" = unanswered).
    missing : "exclude" (default): only participants who answered all 40 scored items get a score;
        the others are reported (status "missing_items: N"), never silently scored low.
        "prorate": participants with at most ``max_missing`` unanswered scored items are scored as
        points * 40 / answered items (status "prorated").
    max_missing : with "prorate", how many unanswered scored items are tolerated (0-40).

    Returns
    -------
    DataFrame with participant_id, eq_score (0-80, NaN when not scored), n_scored_answered (0-40)
    and status (ok, prorated or missing_items: N).
    """
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing policy {missing!r}; choose one of {', '.join(MISSING_POLICIES)}")
    points = pd.DataFrame(
        {f"q{i}": [item_points(i, a) for a in responses[f"q{i}"]] for i in SCORED_ITEMS},
        index=responses.index,
    )
    answered = points.notna().sum(axis=1)
    n_missing = len(SCORED_ITEMS) - answered
    tolerated = max_missing if missing == "prorate" else 0
    scored = n_missing <= tolerated
    score = (points.sum(axis=1) * len(SCORED_ITEMS) / answered.where(answered > 0)).where(scored)
    status = np.where(n_missing == 0, "ok", np.where(scored, "prorated", "missing_items: " + n_missing.astype(str)))
    return pd.DataFrame(
        {
            "participant_id": responses["participant_id"].to_numpy(),
            "eq_score": score.to_numpy(dtype=float),
            "n_scored_answered": answered.to_numpy(),
            "status": status,
        }
    )
