"""H1 t-test and normality tables against scipy and pingouin, computed independently here."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import yaml
from scipy import stats

from mimicry import demographics

from conftest import REPO

GENDER = {"name": "gender", "column": "gender", "groups": [{"label": "female", "values": ["female"]}, {"label": "male", "values": ["male"]}]}
WHITE = {"name": "white_any", "column": "ethnicity",
         "groups": [{"label": "White", "values": ["white british", "White Irish"]}, {"label": "other", "rest": True}]}


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    n = 60
    gender = rng.choice(["Female", "male ", "MALE", "female", "nonbinary"], n)
    ethnicity = rng.choice(["White British", "white irish", "Black African", "Asian British", ""], n)
    eq_score = rng.normal(47, 10, n) + np.where(np.char.lower(np.char.strip(gender.astype(str))) == "female", 5, 0)
    return pd.DataFrame({"gender": gender, "ethnicity": ethnicity, "eq_score": eq_score})


def independent_groups(data):
    g = data["gender"].str.strip().str.lower()
    return data.loc[g == "female", "eq_score"].to_numpy(), data.loc[g == "male", "eq_score"].to_numpy()


@pytest.mark.parametrize("welch", [False, True])
def test_ttest_table_matches_scipy_and_pingouin(data, welch):
    row = demographics.ttest_table(data, [GENDER], alpha=0.01, welch=welch).iloc[0]
    a, b = independent_groups(data)
    ref = stats.ttest_ind(a, b, equal_var=not welch)
    pg_row = pg.ttest(a, b, correction=welch).iloc[0]
    assert row["n_a"] == len(a) and row["n_b"] == len(b)
    assert row["t"] == pytest.approx(ref.statistic) == pytest.approx(pg_row["T"])
    assert row["p"] == pytest.approx(ref.pvalue) == pytest.approx(pg_row["p_val"])
    assert row["df"] == pytest.approx(pg_row["dof"])
    # pingouin's cohen-d is the pooled-SD d, unsigned
    assert row["cohens_d"] == pytest.approx(pg.compute_effsize(a, b, paired=False, eftype="cohen"))
    assert row["hedges_g"] == pytest.approx(pg.compute_effsize(a, b, paired=False, eftype="hedges"))
    assert row["r"] == pytest.approx(np.sqrt(ref.statistic**2 / (ref.statistic**2 + pg_row["dof"])))
    assert row["mean_a"] == pytest.approx(a.mean()) and row["sd_b"] == pytest.approx(b.std(ddof=1))
    assert bool(row["significant"]) == (ref.pvalue < 0.01)


def test_cohens_d_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0])
    pooled = np.sqrt((3 * np.var(a, ddof=1) + 2 * np.var(b, ddof=1)) / 5)
    assert demographics.cohens_d(a, b) == pytest.approx((2.5 - 4.0) / pooled)


def test_group_labels_case_insensitive_and_rest_excludes_blank(data):
    a, b = demographics.split_groups(data, WHITE)
    eth = data["ethnicity"].str.lower()
    assert len(a) == eth.isin(["white british", "white irish"]).sum()
    assert len(b) == ((eth != "") & ~eth.isin(["white british", "white irish"])).sum()


def test_unknown_labels_are_left_out_not_crashing(data):
    a, b = demographics.split_groups(data, GENDER)
    assert len(a) + len(b) == (data["gender"].str.strip().str.lower() != "nonbinary").sum()


def test_too_small_group_gives_nan_and_a_note():
    data = pd.DataFrame({"gender": ["female", "female", "male"], "eq_score": [40.0, 50.0, 45.0]})
    row = demographics.ttest_table(data, [GENDER], alpha=0.01).iloc[0]
    assert np.isnan(row["t"]) and not row["significant"]
    assert row["note"] == "1 participant with an EQ score in 'male'; the t-test (in each group) needs at least 2"


def test_normality_table_matches_scipy(data):
    table = demographics.normality_table(data, [GENDER])
    a, b = independent_groups(data)
    for group, sample in zip(("female", "male"), (a, b)):
        row = table[table["group"] == group].iloc[0]
        w, p = stats.shapiro(sample)
        assert row["n"] == len(sample)
        assert row["shapiro_w"] == pytest.approx(w) and row["p"] == pytest.approx(p)


def papers_label_set() -> pd.DataFrame:
    """The paper's 81 scored participants as docs/analysis.md infers them: 55 White British, 1 White Irish,
    11 White Other and 14 of other labels (one of them 'White and Black Caribbean')."""
    labels = (["White British"] * 55 + ["White Irish"] + ["White Other"] * 11 + ["White and Black Caribbean"]
              + ["Asian British"] * 6 + ["Black African"] * 4 + ["Mixed"] * 3)
    return pd.DataFrame({"ethnicity": labels, "eq_score": np.linspace(30, 70, len(labels))})


@pytest.mark.parametrize("name,sizes", [("white_british", (55, 26)), ("white_any", (56, 25))])
def test_the_default_ethnicity_groups_are_the_papers(name, sizes):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    comparison = next(c for c in config["demographics"]["comparisons"] if c["name"] == name)
    a, b = demographics.split_groups(papers_label_set(), comparison)
    assert (len(a), len(b)) == sizes


def test_the_default_gender_order_is_the_papers_male_minus_female(data):
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    gender = next(c for c in config["demographics"]["comparisons"] if c["name"] == "gender")
    row = demographics.ttest_table(data, [gender], alpha=0.01).iloc[0]
    female, male = independent_groups(data)
    assert (row["group_a"], row["group_b"]) == ("male", "female")
    assert row["t"] == pytest.approx(stats.ttest_ind(male, female).statistic) and row["t"] < 0
    assert row["cohens_d"] == pytest.approx(-pg.compute_effsize(female, male, paired=False, eftype="cohen"))



def test_hedges_g_is_cohens_d_corrected_for_small_samples():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0])
    g = demographics.hedges_g(a, b)
    assert g == pytest.approx(pg.compute_effsize(a, b, paired=False, eftype="hedges"))
    assert g == pytest.approx(demographics.cohens_d(a, b) * (1 - 3 / (4 * 7 - 9))) and abs(g) < abs(demographics.cohens_d(a, b))
