"""The crossed random-intercept REML fit against independent computations: statsmodels' MixedLM, the
closed-form ANOVA estimates of a balanced design, lme4 + lmerTest in R (slow), and simulated studies
with planted congruence and congruence x EQ effects (interval coverage, false-positive rate)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from mimicry.analysis import mixed
from mimicry.analysis.mixed import fit_crossed

STIMULI = 24


def study(rng, n_participants=30, n_stimuli=STIMULI, congruence=0.5, moderation=0.3, sd_p=0.8, sd_s=0.4, drop=0.0):
    """One simulated study: y = congruence * c + moderation * c * eq_z + participant + stimulus + noise.
    Every 4th stimulus is congruent; ``drop`` removes that fraction of trials at random (unbalanced)."""
    p = np.repeat(np.arange(n_participants), n_stimuli)
    s = np.tile(np.arange(n_stimuli), n_participants)
    eq = rng.normal(size=n_participants)
    eq_z = ((eq - eq.mean()) / eq.std(ddof=1))[p]
    c = (s % 4 == 0).astype(float)
    y = (congruence * c + moderation * c * eq_z + sd_p * rng.normal(size=n_participants)[p]
         + sd_s * rng.normal(size=n_stimuli)[s] + rng.normal(size=len(p)))
    table = pd.DataFrame({"y": y, "participant": p, "stimulus": s, "congruence": c, "eq_z": eq_z})
    return table.sample(frac=1 - drop, random_state=1) if drop else table


def fit(table, interaction=True):
    X = pd.DataFrame({"Intercept": 1.0, "congruence": table["congruence"]})
    if interaction:
        X["eq_z"] = table["eq_z"]
        X["congruence:eq_z"] = table["congruence"] * table["eq_z"]
    groups = {"participant": table["participant"].to_numpy(), "stimulus": table["stimulus"].to_numpy()}
    return fit_crossed(table["y"].to_numpy(), X.reset_index(drop=True), groups)


def test_agrees_with_statsmodels_mixedlm_on_an_unbalanced_design():
    table = study(np.random.default_rng(3), n_participants=20, drop=0.15).reset_index(drop=True)
    ours = fit(table)
    theirs = smf.mixedlm("y ~ congruence * eq_z", table.assign(g=1), groups="g", re_formula="0",
                         vc_formula={"participant": "0 + C(participant)", "stimulus": "0 + C(stimulus)"}).fit(reml=True)
    np.testing.assert_allclose(ours.coef["estimate"], theirs.fe_params.to_numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.coef["se"], theirs.bse_fe.to_numpy(), rtol=1e-3)
    np.testing.assert_allclose([ours.variances["participant"], ours.variances["stimulus"], ours.variances["residual"]],
                               [*theirs.vcomp, theirs.scale], rtol=1e-3)
    assert ours.warnings == []


def test_balanced_design_matches_the_anova_estimates_and_exact_df():
    """Balanced crossed design, a stimulus-level effect: REML equals the ANOVA (method of moments)
    estimates, and the Satterthwaite df of the effect is exactly J - 2 (one mean square)."""
    table = study(np.random.default_rng(11), n_participants=15, sd_s=0.8, moderation=0.0)
    I, J = 15, STIMULI
    y = table.pivot(index="participant", columns="stimulus", values="y").to_numpy()
    c = (np.arange(J) % 4 == 0)
    resid = y - y.mean(1, keepdims=True) - y.mean(0, keepdims=True) + y.mean()
    mse = (resid**2).sum() / ((I - 1) * (J - 1))
    msa = J * ((y.mean(1) - y.mean()) ** 2).sum() / (I - 1)
    stim = y.mean(0)
    within = np.r_[stim[c] - stim[c].mean(), stim[~c] - stim[~c].mean()]
    msb = I * (within**2).sum() / (J - 2)
    effect = stim[c].mean() - stim[~c].mean()
    se = np.sqrt(msb / I * (1 / c.sum() + 1 / (~c).sum()))
    ours = fit(table, interaction=False)
    row = ours.coef.set_index("term").loc["congruence"]
    np.testing.assert_allclose(ours.variances["residual"], mse, rtol=1e-4)
    np.testing.assert_allclose(ours.variances["participant"], (msa - mse) / J, rtol=1e-3)
    np.testing.assert_allclose(ours.variances["stimulus"], (msb - mse) / I, rtol=1e-3)
    np.testing.assert_allclose([row.estimate, row.se], [effect, se], rtol=1e-4)
    np.testing.assert_allclose(row.df, J - 2, rtol=1e-2)
    np.testing.assert_allclose(row.p, 2 * stats.t.sf(abs(effect / se), J - 2), rtol=2e-2)


def test_simulated_studies_cover_the_planted_effects_and_keep_alpha():
    """100 studies with planted effects: both 95% intervals cover the truth in >= 90 (nominal 95; a
    binomial(100, 0.95) falls below 90 with probability 0.03); 100 null studies: the congruence effect is
    significant at 5% in <= 11 (binomial(100, 0.05) exceeds 11 with probability 0.005)."""
    rng = np.random.default_rng(20240501)
    covered = np.zeros(2, int)
    positives = 0
    for _ in range(100):
        coef = fit(study(rng)).coef.set_index("term")
        for i, (term, truth) in enumerate((("congruence", 0.5), ("congruence:eq_z", 0.3))):
            covered[i] += coef.at[term, "ci_low"] <= truth <= coef.at[term, "ci_high"]
        null = fit(study(rng, congruence=0.0, moderation=0.0), interaction=False).coef.set_index("term")
        positives += null.at["congruence", "p"] < 0.05
    assert covered.min() >= 90, covered
    assert positives <= 11, positives


def test_the_sparse_factorisation_agrees_with_the_dense_one(monkeypatch):
    """Small models factorise densely, large ones sparsely (mixed.DENSE_LIMIT): forcing the sparse path on an
    unbalanced design with a third, nested factor (participant x congruence) gives the same fit."""
    table = study(np.random.default_rng(11), n_participants=20, drop=0.2).reset_index(drop=True)
    X = pd.DataFrame({"Intercept": 1.0, "congruence": table["congruence"]})
    groups = {"participant_congruence": (table["participant"].astype(str) + "|" + table["congruence"].astype(str)).to_numpy(),
              "participant": table["participant"].to_numpy(), "stimulus": table["stimulus"].to_numpy()}
    dense = fit_crossed(table["y"].to_numpy(), X, groups)
    monkeypatch.setattr(mixed, "DENSE_LIMIT", -1)
    sparse = fit_crossed(table["y"].to_numpy(), X, groups)
    columns = ["estimate", "se", "df", "ci_low", "ci_high"]
    np.testing.assert_allclose(sparse.coef[columns], dense.coef[columns], rtol=1e-5)
    np.testing.assert_allclose(list(sparse.variances.values()), list(dense.variances.values()), rtol=1e-5, atol=1e-9)


def test_a_zero_variance_is_reported_as_a_singular_fit():
    table = study(np.random.default_rng(5), sd_s=0.0)
    table["y"] -= table.groupby("stimulus")["y"].transform("mean") - table["y"].mean()  # no stimulus variance at all
    warnings = fit(table, interaction=False).warnings
    assert any("singular fit: the stimulus variance" in w for w in warnings), warnings


R_SCRIPT = """
suppressMessages(library(lmerTest))
d <- read.delim(commandArgs(TRUE)[1])
d$participant <- factor(d$participant); d$stimulus <- factor(d$stimulus)
m <- lmer(y ~ congruence * eq_z + (1 | participant) + (1 | stimulus), data = d, REML = TRUE)
s <- coef(summary(m, ddf = "Satterthwaite"))
v <- as.data.frame(VarCorr(m))
write.table(data.frame(estimate = s[, 1], se = s[, 2], df = s[, 3], p = s[, 5]), stdout(), sep = "\t", quote = FALSE)
cat(paste("var", v$grp, v$vcov, sep = "\t"), sep = "\n")
"""


def lmer(script: str, data: pd.DataFrame, tmp_path) -> tuple[pd.DataFrame, dict]:
    """Run an R ``script`` (it reads the TSV named by its argument) on ``data``: (fixed effects with
    estimate, se, df, p in lmerTest's row order, {group: variance})."""
    path = tmp_path / "d.tsv"
    data.to_csv(path, sep="\t", index=False)
    (tmp_path / "fit.R").write_text(script)
    proc = subprocess.run(["Rscript", str(tmp_path / "fit.R"), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, f"R failed (needs r-cran-lme4 and r-cran-lmertest):\n{proc.stderr}"
    lines = [line.split("\t") for line in proc.stdout.strip().splitlines()]
    fixed = pd.DataFrame([line[1:] for line in lines[1:] if line[0] != "var"], columns=lines[0]).astype(float)
    return fixed, {line[1]: float(line[2]) for line in lines if line[0] == "var"}


def assert_fixed_effects_agree(ours: pd.DataFrame, fixed: pd.DataFrame) -> None:
    """Estimates to 1e-4, SEs to 1e-3, Satterthwaite df to 2 %, p to 5 % (relative)."""
    np.testing.assert_allclose(ours["estimate"], fixed["estimate"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours["se"], fixed["se"], rtol=1e-3)
    np.testing.assert_allclose(ours["df"], fixed["df"], rtol=2e-2)
    np.testing.assert_allclose(ours["p"], fixed["p"], rtol=5e-2, atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with lme4 and lmerTest (apt-get install r-cran-lmertest)")
def test_agrees_with_lme4_and_lmertest(tmp_path):
    table = study(np.random.default_rng(8), n_participants=25, drop=0.1)
    fixed, variances = lmer(R_SCRIPT, table, tmp_path)
    ours = fit(table.reset_index(drop=True))
    assert_fixed_effects_agree(ours.coef, fixed)
    np.testing.assert_allclose([ours.variances[k] for k in ("participant", "stimulus", "residual")],
                               [variances[k] for k in ("participant", "stimulus", "Residual")], rtol=1e-3)


R_CONGRUENCE = """
suppressMessages(library(lmerTest))
d <- read.delim(commandArgs(TRUE)[1])
d$participant_id <- factor(d$participant_id); d$stimulus <- factor(d$stimulus)
m <- lmer(response ~ congruence * eq_z + (1 | participant_id) + (1 | participant_id:congruence) + (1 | stimulus),
          data = d, REML = TRUE)
s <- coef(summary(m, ddf = "Satterthwaite"))
v <- as.data.frame(VarCorr(m))
write.table(data.frame(estimate = s[, 1], se = s[, 2], df = s[, 3], p = s[, 5]), stdout(), sep = "\\t", quote = FALSE)
cat(paste("var", v$grp, v$vcov, sep = "\\t"), sep = "\\n")
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with lme4 and lmerTest (apt-get install r-cran-lmertest)")
def test_congruence_x_eq_with_its_participant_x_congruence_intercept_agrees_with_lme4(tmp_path):
    """congruence.fit_test's congruence_x_eq (the model of congruence_models) against lmer with
    (1 | participant:congruence), on trials whose congruence effect varies between people (SD 0.7)."""
    from mimicry.analysis import congruence

    rng = np.random.default_rng(12)
    table = study(rng, n_participants=25, drop=0.1)
    table["y"] += 0.7 * rng.normal(size=25)[table["participant"]] * table["congruence"]
    trials = pd.DataFrame({"participant_id": "p" + table["participant"].astype(str), "stimulus": "s" + table["stimulus"].astype(str),
                           "identity": "i", "stimulus_emotion": np.where(table["congruence"] == 1, "happy", "angry"),
                           "reaction": "smile", "response": table["y"]})
    eq = pd.DataFrame({"participant_id": [f"p{i}" for i in range(25)], "eq_score": rng.normal(47, 10, 25)})
    test = {"test": "t", "kind": "contrast", "reactions": ["smile"], "congruent": ["happy"], "incongruent": ["angry"]}
    ours = congruence.fit_test(trials, eq, test, "congruence_x_eq")
    data = congruence.trial_responses(trials, test).merge(eq, on="participant_id")
    data["eq_z"] = congruence.design(data, "congruence_x_eq")["eq_z"].to_numpy()
    fixed, variances = lmer(R_CONGRUENCE, data, tmp_path)
    assert_fixed_effects_agree(ours, fixed)
    row = ours.iloc[0]
    np.testing.assert_allclose([row.var_participant, row.var_participant_congruence, row.var_stimulus, row.var_residual],
                               [variances[k] for k in ("participant_id", "participant_id:congruence", "stimulus", "Residual")],
                               rtol=2e-3)
    assert row.var_participant_congruence > 0 and not row.warnings  # estimated, not a singular fit
