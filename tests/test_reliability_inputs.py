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
