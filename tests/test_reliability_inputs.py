"""Reliability: bad sheets and config values, run for real through snakemake on a tiny real study.

The study (not the demo) brings iMotions AFFDEX text exports written here instead of videos, so the whole
chain (import, quality, epochs, fan-in, H1 and H2 analyses) runs in seconds without decoding a frame.
docs/reliability.md lists every case of issue 9 and the test that tries it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mimicry.names import REACTIONS, display_name

from conftest import run_snakemake, tiny_config
from test_epochs import STIMULI, frames_table

pytestmark = pytest.mark.workflow

H1 = ["results/eq_scores.tsv", "results/tables/eq_normality.tsv", "results/tables/eq_ttests.tsv",
      "results/figures/eq_qq.png", "results/figures/eq_violin_distribution.png"]
FAN_IN = ["results/quality.tsv", "results/reactions.parquet", "results/timecourses.parquet", "results/features.tsv"]
GENDERS = ["female", "male"]


def affdex_export(path, frames: pd.DataFrame, *, decimal: str = ".", meta_lines: int = 3) -> None:
    """Write ``frames`` (mimicry.names.FRAME_COLUMNS) as an iMotions AFFDEX text export: '#' metadata lines,
    a blank line, a tab-separated header of AFFDEX display names; ``decimal`` is the decimal separator."""
    table = pd.DataFrame({"Timestamp": frames["time_ms"]})
    for reaction in REACTIONS:
        table[display_name(reaction)] = frames[reaction]
    for angle in ("pitch", "yaw", "roll"):
        table[angle.capitalize()] = frames[angle]
    meta = "".join(f"#Meta{i} : value {i}\n" for i in range(meta_lines))
    body = table.to_csv(sep="\t", index=False, na_rep="", lineterminator="\n", decimal=decimal)
    path.write_text(meta + "\n" + body)


def participant_frames(pid: str, seed: int, end_ms: float = 16000.0) -> pd.DataFrame:
    """A face in every frame, reactions with seeded noise, and a joy bump in the happy face."""
    rng = np.random.default_rng(seed)
    df = frames_table(end_ms=end_ms, pid=pid)
    df[list(REACTIONS)] = rng.uniform(2, 20, (len(df), len(REACTIONS))).round(3)
    happy = (df["time_ms"] >= 1500) & (df["time_ms"] < 3000)
    df.loc[happy, "joy"] = round(30 + 10 * seed, 3)
    return df


def write_study(root, n: int = 6, *, genders=None, eq=None, stimuli=None) -> dict:
    """A real study of ``n`` participants p1..pn with iMotions exports; returns its config (demo off).

    ``eq`` maps participant -> their 60 answers (default: seeded); ``stimuli`` replaces the stimulus sheet.
    """
    root.mkdir(parents=True, exist_ok=True)
    ids = [f"p{i}" for i in range(1, n + 1)]
    (root / "exports").mkdir(exist_ok=True)
    for i, pid in enumerate(ids, start=1):
        affdex_export(root / f"exports/{pid}.txt", participant_frames(pid, i))
    genders = genders or [GENDERS[i % 2] for i in range(n)]
    pd.DataFrame({"participant_id": ids, "gender": genders, "age_band": ["18-24", "35-44"] * (n // 2) + ["18-24"] * (n % 2),
                  "ethnicity": "White British", "glasses": ["no", "yes"] * (n // 2) + ["no"] * (n % 2),
                  "frames_source": "imotions", "export": [f"exports/{p}.txt" for p in ids]}
                 ).to_csv(root / "participants.tsv", sep="\t", index=False)
    labels = ["strongly agree", "slightly agree", "slightly disagree", "strongly disagree"]
    rng = np.random.default_rng(11)
    answers = {p: list(rng.choice(labels, 60)) for p in ids} | (eq or {})
    pd.DataFrame([{"participant_id": p, **{f"q{i}": a for i, a in enumerate(answers[p], start=1)}} for p in answers]
                 ).to_csv(root / "eq.tsv", sep="\t", index=False)
    sheet = stimuli if stimuli is not None else pd.concat([STIMULI.assign(participant_id=p) for p in ids])
    sheet.to_csv(root / "stimuli.tsv", sep="\t", index=False)
    config = tiny_config()
    config["demo"]["enabled"] = False
    config["study"] = {"participants": "participants.tsv", "eq_responses": "eq.tsv", "stimuli": "stimuli.tsv"}
    config["analysis"].update({"n_permutations": 5, "cv_folds": 3})
    return config


def output(proc) -> str:
    return proc.stdout + proc.stderr


# --- config: rejected by the schema with the key path ---------------------------------------------------


@pytest.mark.parametrize("section,key,value,path", [
    ("epochs", "windows", [{"name": "full", "start_ms": -500}], "['epochs']['windows'][0]['start_ms']"),
    ("epochs", "pre_blank_ms", -1, "['epochs']['pre_blank_ms']"),
    ("demographics", "alpha", 1.5, "['demographics']['alpha']"),
    ("analysis", "alpha", 0, "['analysis']['alpha']"),
    ("epochs", "baseline", "pre_blank_mean", "['epochs']['baseline']"),
])
def test_invalid_config_value_is_rejected_with_the_key_path(tmp_path, section, key, value, path):
    config = tiny_config()
    config[section][key] = value
    proc = run_snakemake(tmp_path, config, "-n", check=False)
    assert proc.returncode != 0
    assert f"On instance{path}" in output(proc)  # snakemake's schema message names the key path
    assert "Traceback" not in output(proc)
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


# --- sheets, through the workflow ----------------------------------------------------------------------


def test_unknown_gender_and_ethnicity_labels_are_kept_and_reported(tmp_path):
    config = write_study(tmp_path, genders=["female", "male", "nonbinary", "Female ", "MALE", "female"])
    participants = pd.read_csv(tmp_path / "participants.tsv", sep="\t")
    participants.loc[1, "ethnicity"] = "Prefer not to say"
    participants.to_csv(tmp_path / "participants.tsv", sep="\t", index=False)
    run_snakemake(tmp_path, config, *H1)
    scores = pd.read_csv(tmp_path / "results/eq_scores.tsv", sep="\t")
    assert list(scores["participant_id"]) == [f"p{i}" for i in range(1, 7)] and scores["eq_score"].notna().all()
    ttests = pd.read_csv(tmp_path / "results/tables/eq_ttests.tsv", sep="\t", keep_default_na=False).set_index("comparison")
    # labels matched case-insensitively; male (2) minus female (3), the paper's order
    assert (ttests.loc["gender", "n_a"], ttests.loc["gender", "n_b"]) == (2, 3)
    assert ttests.loc["gender", "note"] == "1 participant(s) in neither group (labels: 'nonbinary')"
    assert ttests.loc["white_british", "n_b"] == 1  # the rest group takes the unknown label
    assert ttests.loc["white_british", "note"] == (
        "1 participant with an EQ score in 'other'; the t-test (in each group) needs at least 2")
    log = (tmp_path / "results/logs/eq_demographics.log").read_text()
    assert "comparison gender: participant p3 is in neither group (gender 'nonbinary'); kept" in log


def test_partially_answered_eq_is_excluded_and_named(tmp_path):
    answers = ["slightly agree"] * 60
    config = write_study(tmp_path, eq={"p2": answers[:4] + [""] + answers[5:],  # q5 is a filler
                                       "p3": [""] + answers[1:]})  # q1 is agree-scored
    run_snakemake(tmp_path, config, *H1)
    scores = pd.read_csv(tmp_path / "results/eq_scores.tsv", sep="\t").set_index("participant_id")
    assert scores.loc["p2", "status"] == "ok" and scores.loc["p2", "eq_score"] == 21  # 21 agree-scored items, 1 each
    assert scores.loc["p3", "status"] == "missing_items: 1" and np.isnan(scores.loc["p3", "eq_score"])
    assert "participant p3: missing_items: 1" in (tmp_path / "results/logs/score_eq.log").read_text()
    ttests = pd.read_csv(tmp_path / "results/tables/eq_ttests.tsv", sep="\t").set_index("comparison")
    assert ttests.loc["gender", "n_a"] + ttests.loc["gender", "n_b"] == 5  # p3 not scored low, left out


def test_participant_missing_from_the_eq_sheet_is_reported_not_scored(tmp_path):
    config = write_study(tmp_path)
    eq = pd.read_csv(tmp_path / "eq.tsv", sep="\t", dtype=str)
    eq[eq["participant_id"] != "p6"].to_csv(tmp_path / "eq.tsv", sep="\t", index=False)
    run_snakemake(tmp_path, config, *H1)
    scores = pd.read_csv(tmp_path / "results/eq_scores.tsv", sep="\t").set_index("participant_id")
    assert scores.loc["p6", "status"] == "no_responses" and np.isnan(scores.loc["p6", "eq_score"])
    assert "participant p6: no_responses" in (tmp_path / "results/logs/score_eq.log").read_text()


def test_participant_missing_from_the_stimuli_sheet_stops_before_any_job(tmp_path):
    config = write_study(tmp_path)
    participants = pd.read_csv(tmp_path / "participants.tsv", sep="\t", dtype=str, keep_default_na=False)
    participants.loc[4, ["frames_source", "export"]] = ["openface", "exports/p5.csv"]  # no stimulus log of its own
    participants.to_csv(tmp_path / "participants.tsv", sep="\t", index=False)
    stimuli = pd.read_csv(tmp_path / "stimuli.tsv", sep="\t")
    stimuli[stimuli["participant_id"] != "p5"].to_csv(tmp_path / "stimuli.tsv", sep="\t", index=False)
    proc = run_snakemake(tmp_path, config, *FAN_IN, check=False)
    assert proc.returncode != 0
    assert "stimuli.tsv: participant(s) p5 of participants.tsv have no rows" in output(proc)
    assert not (tmp_path / "results").exists()


def test_stimulus_beyond_the_end_of_the_recording_is_nan_and_logged(tmp_path):
    late = STIMULI.iloc[[0]].assign(stimulus="BM13HAS", identity="BM13", onset_ms=15000.0, duration_ms=3000.0)
    after = STIMULI.iloc[[1]].assign(stimulus="BM13SAS", stimulus_emotion="sad", identity="BM13", onset_ms=20000.0)
    sheet = pd.concat([STIMULI, late, after])
    config = write_study(tmp_path, stimuli=pd.concat([sheet.assign(participant_id=f"p{i}") for i in range(1, 7)]))
    run_snakemake(tmp_path, config, "results/reactions/p1.parquet")
    reactions = pd.read_parquet(tmp_path / "results/reactions/p1.parquet")
    joy = reactions[(reactions["reaction"] == "joy") & (reactions["window"] == "full")].set_index("stimulus")
    # recording ends at 15960 ms: BM13HAS has 25 of its 75 frames (< min_coverage 0.5), BM13SAS none
    assert joy.loc["BM13HAS", "coverage"] == pytest.approx(25 / 75) and np.isnan(joy.loc["BM13HAS", "max"])
    assert joy.loc["BM13SAS", "coverage"] == 0 and np.isnan(joy.loc["BM13SAS", "max"])
    assert joy.loc["AF01HAS", "max"] == pytest.approx(40.0)
    log = (tmp_path / "results/logs/reaction_features/p1.log").read_text()
    assert "participant p1: stimulus BM13SAS (20000-23000 ms) ends after the recording's last frame (15960 ms)" in log
    assert "stimulus BM13HAS (15000-18000 ms)" in log
