"""Table 2: ordinary least squares of EQ on the reaction features (statsmodels)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm

from mimicry.analysis.notes import USABLE, shortfall
from mimicry.names import REACTIONS

COEF_COLUMNS = ["term", "coef", "std_err", "t", "p", "ci_low", "ci_high", "std_err_iid", "p_iid", "note"]


def ols(
    data: pd.DataFrame,
    features=REACTIONS,
    target: str = "eq_score",
    cluster: bool = False,
    confidence: float = 0.95,
    who: str = USABLE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """OLS of ``target`` on a constant and ``features``: (coefficient table, one-row summary table).

    With ``cluster`` the standard errors are cluster-robust by ``participant_id`` (CR1, t with G - 1
    degrees of freedom), as rows of one participant are not independent; std_err_iid and p_iid always
    hold the classical (iid) values, so the two can be compared. Coefficient table: term (const, then
    every feature), coef (EQ points per reaction point), std_err, t, p, ci_low, ci_high, std_err_iid,
    p_iid, note (why a row is NaN). Summary: n, n_participants, n_parameters (fitted), cov_type, r2, adj_r2, f, f_p,
    condition_number (of the unscaled design with constant) and a note. Features that are constant
    (e.g. a reaction the scorer never saw) carry no information: they are left out of the fit, their
    rows are NaN and the note names them. When the model cannot be estimated (no more rows than
    parameters, or collinear features) the statistics are NaN and the note says why, counting the rows as
    ``who`` (e.g. "2 usable participants (quality grade 0); OLS with 28 parameters needs at least 29");
    the F test is NaN when the cluster-robust covariance has too few clusters to test all features jointly.
    """
    features = list(features)
    constant = [f for f in features if data[f].nunique() <= 1] if len(data) > 1 else []
    fitted = [f for f in features if f not in constant]
    n, k = len(data), len(fitted) + 1
    n_participants = data["participant_id"].nunique()
    summary = {"n": n, "n_participants": n_participants, "n_parameters": k, "cov_type": "cluster" if cluster else "nonrobust"}
    notes = [f"constant, left out: {', '.join(constant)}"] if constant else []
    X = sm.add_constant(data[fitted].to_numpy(float), has_constant="add") if n else np.zeros((0, k))
    y = data[target].to_numpy(float)
    rank = np.linalg.matrix_rank(X) if n else 0
    if n <= k or rank < k:
        why = shortfall(n, k + 1, f"OLS with {k} parameters", who) or f"the features are collinear (rank {rank} < {k})"
        notes.append(f"not estimable: {why}")
        coef = pd.DataFrame({"term": ["const", *features], "note": "; ".join(notes)}).reindex(columns=COEF_COLUMNS)
        nan = dict.fromkeys(("r2", "adj_r2", "f", "f_p", "condition_number"), math.nan)
        return coef, pd.DataFrame([{**summary, **nan, "note": "; ".join(notes)}])
    model = sm.OLS(y, X)
    iid = model.fit()
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": data["participant_id"].to_numpy()}, use_t=True) if cluster else iid
    low, high = fit.conf_int(alpha=1 - confidence).T
    coef = pd.DataFrame(
        {
            "term": ["const", *fitted],
            "coef": fit.params,
            "std_err": fit.bse,
            "t": fit.tvalues,
            "p": fit.pvalues,
            "ci_low": low,
            "ci_high": high,
            "std_err_iid": iid.bse,
            "p_iid": iid.pvalues,
        }
    )
    coef = coef.set_index("term").reindex(["const", *features]).reset_index()
    coef["note"] = np.where(coef["term"].isin(constant), "constant, left out", "")
    joint_testable = not cluster or n_participants - 1 >= k - 1
    if not joint_testable:
        notes.append(f"F not available: {n_participants} clusters cannot test {k - 1} coefficients jointly")
    summary.update(
        r2=fit.rsquared,
        adj_r2=fit.rsquared_adj,
        f=float(fit.fvalue) if joint_testable else math.nan,
        f_p=float(fit.f_pvalue) if joint_testable else math.nan,
        condition_number=fit.condition_number,
        note="; ".join(notes),
    )
    return coef, pd.DataFrame([summary])
