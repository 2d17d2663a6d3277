"""Linear mixed models with crossed random intercepts (participant and stimulus), fitted by REML.

y = X b + Z u + e, with one random intercept per level of each grouping factor (u_k ~ N(0, s2_k),
independent across factors, so factors may be crossed) and e ~ N(0, s2). The fit follows lme4's
profiled REML: with theta_k = s_k / s, Lambda = diag(theta) and M = Lambda Z'Z Lambda + I, every
quantity needs only a factorisation of M, and as the first factor's block of M is diagonal, only one of
its Schur complement (the other factors): dense (Cholesky) for small models, sparse for large ones (SuperLU
in symmetric mode with a minimum-degree ordering: a participant, a participant x congruence level or a
trial meets few levels of the other factors, so the factor stays small), and a fit of 1,000 participants takes seconds where
statsmodels' MixedLM with crossed variance components took 9 minutes (docs/analysis.md). Fixed effects get t tests and intervals with
Satterthwaite degrees of freedom (as lmerTest), from numerical derivatives of the REML criterion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as splinalg
from scipy import linalg, optimize, stats

#: Largest k x r^2 (k levels of the first factor, r of the others) for which the Schur complement is formed
#: and factorised densely: about 1e7 multiply-adds, a few ms, which is what scipy.sparse's per-call overhead
#: costs a sparse evaluation (measured: a 30-participant x 24-stimulus fit took 40 ms dense, 340 ms sparse).
DENSE_LIMIT = 10_000_000
#: A variance ratio theta_k below this counts as estimated at zero (lme4's singular fit).
SINGULAR = 1e-4


@dataclass
class Fit:
    """A REML fit: fixed effects (``coef``: estimate, se, df, t, p, ci_low, ci_high per term), variance
    components (``variances``: one per grouping factor and ``residual``) and the warnings of the fit."""

    coef: pd.DataFrame
    variances: dict
    warnings: list = field(default_factory=list)


class _Crossed:
    """The cross-products of one model, and the REML criterion as a function of the variance ratios."""

    def __init__(self, y, X, codes: list[np.ndarray]):
        n = len(y)
        self.n, self.p = X.shape
        self.sizes = [int(c.max()) + 1 for c in codes]
        starts = np.cumsum([0, *self.sizes[:-1]])
        cols = np.concatenate([c + s for c, s in zip(codes, starts)])
        rows = np.tile(np.arange(n), len(codes))
        Z = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n, sum(self.sizes)))
        ZtZ, k = (Z.T @ Z).tocsr(), self.sizes[0]
        # the first factor's block is diagonal (counts); the others' blocks dense only for small models
        self.d1, self.B0, self.C0 = ZtZ.diagonal()[:k], ZtZ[:k, k:].tocsr(), ZtZ[k:, k:].tocsc()
        self.dense = k * (ZtZ.shape[0] - k) ** 2 <= DENSE_LIMIT
        if self.dense:
            self.B0, self.C0 = self.B0.toarray(), self.C0.toarray()
        self.ZtX, self.Zty = Z.T @ X, Z.T @ y
        self.XtX, self.Xty, self.yty = X.T @ X, X.T @ y, y @ y

    def pieces(self, theta):
        """log|V_theta|, X'V_theta^-1 X, the GLS estimate and r'V_theta^-1 r, with V_theta = V / s2.

        M is split at the first factor, whose block of Z'Z is diagonal: only the Schur complement of the
        other factors is factorised. Small models (``dense``) do it densely (Cholesky); large ones keep
        everything sparse (a sparse LU, log-determinant from its pivots): the by-bin model's first factor,
        the trial, meets one participant and one stimulus, so dense matrices of trials x participants would
        cost minutes per fit at 1,000 participants."""
        lam = np.repeat(theta, self.sizes)
        k, rest = self.sizes[0], lam[self.sizes[0]:]
        a = theta[0] ** 2 * self.d1 + 1
        if self.dense:
            B = self.B0 * (theta[0] * rest)
            schur = linalg.cho_factor(rest[:, None] * self.C0 * rest + np.eye(len(rest)) - B.T @ (B / a[:, None]),
                                      lower=True)
            logdet, solve_rest = 2 * np.log(np.diag(schur[0])).sum(), lambda r: linalg.cho_solve(schur, r)
        else:
            B = self.B0 @ sp.diags(theta[0] * rest)
            schur = sp.diags(rest) @ self.C0 @ sp.diags(rest) + sp.identity(len(rest)) - B.T @ sp.diags(1 / a) @ B
            # symmetric positive definite: no pivoting off the diagonal, so U's diagonal holds the pivots
            lu = splinalg.splu(sp.csc_matrix(schur), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0,
                               options={"SymmetricMode": True})
            logdet, solve_rest = np.log(lu.U.diagonal()).sum(), lambda r: lu.solve(np.asarray(r))

        def solve(r):
            x2 = solve_rest(r[k:] - B.T @ (r[:k] / a.reshape(-1, *[1] * (r.ndim - 1))))
            return np.concatenate([(r[:k] - B @ x2) / a.reshape(-1, *[1] * (r.ndim - 1)), x2])

        u, v = lam[:, None] * self.ZtX, lam * self.Zty
        mu, mv = solve(u), solve(v)
        xvx, xvy = self.XtX - u.T @ mu, self.Xty - u.T @ mv
        beta = linalg.solve(xvx, xvy, assume_a="pos")
        rss = self.yty - v @ mv - beta @ xvy
        return np.log(a).sum() + logdet, xvx, beta, rss

    def profiled(self, theta) -> float:
        """The REML criterion (-2 log likelihood, constants dropped) with s2 profiled out."""
        logdet, xvx, _, rss = self.pieces(theta)
        df = self.n - self.p
        return logdet + np.linalg.slogdet(xvx)[1] + df * np.log(rss / df)

    def deviance(self, variances) -> float:
        """The REML criterion at absolute variances (s2_1, ..., s2_K, s2)."""
        *s2k, s2 = variances
        logdet, xvx, _, rss = self.pieces(np.sqrt(np.asarray(s2k) / s2))
        return (self.n - self.p) * np.log(s2) + logdet + np.linalg.slogdet(xvx)[1] + rss / s2

    def covariance(self, variances) -> np.ndarray:
        """Covariance of the GLS fixed effects at absolute variances (s2_1, ..., s2_K, s2)."""
        *s2k, s2 = variances
        return s2 * np.linalg.inv(self.pieces(np.sqrt(np.asarray(s2k) / s2))[1])


def _hessian(f, x, h=1e-3):
    """Central-difference Hessian of f at x (steps h)."""
    k = len(x)
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H


def satterthwaite(model: _Crossed, variances: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Satterthwaite degrees of freedom of each fixed effect (as lmerTest): 2 v^2 / (g' A g), with v the
    effect's variance, g its gradient and A = 2 H^-1 the asymptotic covariance of the log variances
    (H the Hessian of the REML criterion); variances at zero (``free`` False) are held there."""
    logs = np.log(variances[free])

    def full(x):
        out = variances.copy()
        out[free] = np.exp(x)
        return out

    H = _hessian(lambda x: model.deviance(full(x)), logs)
    try:
        A = 2 * np.linalg.inv(H)
        if np.any(np.linalg.eigvalsh(A) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        return np.full(model.p, np.nan), ["the REML Hessian is not positive definite: no Satterthwaite df, p and CI from the normal distribution"]
    h, v = 1e-4, np.diag(model.covariance(variances))
    grads = np.column_stack([
        (np.diag(model.covariance(full(logs + h * e))) - np.diag(model.covariance(full(logs - h * e)))) / (2 * h)
        for e in np.eye(len(logs))
    ])
    return 2 * v**2 / np.einsum("pi,ij,pj->p", grads, A, grads), []


def fit_crossed(y, X: pd.DataFrame, groups: dict[str, np.ndarray], confidence: float = 0.95) -> Fit:
    """REML fit of y on the columns of ``X`` (intercept included by the caller) with a random intercept
    for each of two or more grouping factors of ``groups`` (name -> labels per row; the first should be the
    one with most levels, e.g. participant). Convergence problems, variance
    components estimated at zero and missing df are listed in ``warnings``, never raised."""
    if len(groups) < 2:
        raise ValueError(f"fit_crossed needs at least two grouping factors, got {', '.join(groups) or 'none'}")
    y = np.asarray(y, float)
    codes = [pd.factorize(np.asarray(labels))[0] for labels in groups.values()]
    model = _Crossed(y, X.to_numpy(float), codes)
    result = optimize.minimize(model.profiled, np.ones(len(codes)), method="L-BFGS-B",
                               bounds=[(0, None)] * len(codes))
    theta = result.x
    notes = [] if result.success else [f"optimizer did not converge: {result.message}"]
    _, xvx, beta, rss = model.pieces(theta)
    s2 = rss / (model.n - model.p)
    variances = np.r_[s2 * theta**2, s2]
    free = np.r_[theta > SINGULAR, True]
    notes += [f"singular fit: the {name} variance is estimated at 0" for name, t in zip(groups, theta) if t <= SINGULAR]
    variances[:-1][~free[:-1]] = 0.0
    df, df_notes = satterthwaite(model, variances, free)
    notes += df_notes
    se = np.sqrt(np.diag(s2 * np.linalg.inv(xvx)))
    t = beta / se
    dist_df = np.where(np.isfinite(df), df, np.inf)
    half = stats.t.ppf(0.5 + confidence / 2, dist_df) * se
    coef = pd.DataFrame({"term": X.columns, "estimate": beta, "se": se, "df": df, "t": t,
                         "p": 2 * stats.t.sf(np.abs(t), dist_df), "ci_low": beta - half, "ci_high": beta + half})
    return Fit(coef, {**dict(zip(groups, variances[:-1])), "residual": s2}, notes)
