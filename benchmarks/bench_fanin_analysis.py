"""Fan-in and facial analyses at scale (issues 8, 15): 100 and 1 000 simulated participants' reaction tables.

Each participant gets 28 stimuli x 27 reactions x 2 windows of reaction features (random, 0-100) and an
EQ score; the run times the fan-in (results/reactions.parquet), the feature matrix, and the analyses of
analysis.smk without permutations: correlations, OLS, the nine regression models, in both analysis units.
Issue 15: 28 stimuli x 27 reactions x 20 bins of 500 ms (the study's 10 s faces) of trial responses per
participant with a planted congruence effect; their fan-in (results/trials.parquet), its reduction while
reading, and the congruence models of config.yaml (every test, both models; the slowest single fit), and
the by-bin model of one test (analysis.congruence.by_bin, 20 bins).
Usage: .venv/bin/python benchmarks/bench_fanin_analysis.py [N ...]   (default: 100 1000)
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import yaml

from mimicry import epochs, features, trials
from mimicry.analysis import congruence, correlation, data, ols, regression
from mimicry.names import REACTIONS, STIMULUS_EMOTION_CODES
from mimicry.tables import read_trial_means

CONGRUENCE = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())["analysis"]["congruence"]


def reactions_of(participant: str, rng: np.random.Generator) -> pd.DataFrame:
    """Reaction features of one simulated participant: 28 stimuli x 27 reactions x 2 windows."""
    stimuli = [(f"{i}{code}S", emotion, i, block) for block, i in enumerate(["AF01", "AM10", "BF07", "BM13"], 1)
               for emotion, code in STIMULUS_EMOTION_CODES.items()]
    rows = [(participant, s, e, i, b, r, w) for s, e, i, b in stimuli for r in REACTIONS for w in ("full", "early")]
    table = pd.DataFrame(rows, columns=["participant_id", "stimulus", "stimulus_emotion", "identity", "block", "reaction", "window"])
    n = len(table)
    return table.assign(max=rng.uniform(0, 100, n), mean=rng.uniform(0, 50, n), peak_latency_ms=rng.uniform(0, 10000, n),
                        pre_median=rng.uniform(0, 20, n),
                        n_frames=300, coverage=1.0, baseline="none")


def trials_of(reactions: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Trial responses of one participant: 20 bins of 500 ms per stimulus x reaction, noise (points) plus
    3 points on the reactions congruent to the stimulus (config analysis.congruence.mapping)."""
    base = reactions[reactions["window"] == "full"].reset_index(drop=True)
    table = base.loc[base.index.repeat(20), ["participant_id", "stimulus", "stimulus_emotion", "identity", "block", "reaction"]]
    table["bin_start_ms"] = np.tile(np.arange(20) * 500.0, len(base))
    congruent = [r in CONGRUENCE["mapping"].get(e, []) for e, r in zip(table["stimulus_emotion"], table["reaction"])]
    response = rng.normal(0, 5, len(table)) + 3.0 * np.asarray(congruent)
    return table.assign(bin_end_ms=table["bin_start_ms"] + 500, baseline="pre_mean", baseline_value=10.0,
                        response=response, response_z=response / 5, n_frames=15, coverage=1.0)[trials.TRIAL_SCHEMA.names]


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    print(f"  {label:38s} {time.perf_counter() - start:7.2f} s wall {time.process_time() - cpu:7.2f} s CPU", flush=True)
    return result


def run(n: int, tmp: Path) -> None:
    rng = np.random.default_rng(n)
    paths, trial_paths = [], []
    for i in range(n):
        path = tmp / f"r{i:05d}.parquet"
        table = reactions_of(f"p{i:05d}", rng)
        epochs.write_parquet(table[[f.name for f in epochs.REACTION_SCHEMA]], path, epochs.REACTION_SCHEMA)
        paths.append(path)
        trial_paths.append(tmp / f"t{i:05d}.parquet")
        epochs.write_parquet(trials_of(table, rng), trial_paths[-1], trials.TRIAL_SCHEMA)
    eq_path = tmp / "eq_scores.tsv"
    pd.DataFrame({"participant_id": [f"p{i:05d}" for i in range(n)], "eq_score": rng.normal(47, 10, n)}).to_csv(eq_path, sep="\t", index=False)
    print(f"{n} participants:")
    start = time.perf_counter()
    timed("fan-in -> reactions.parquet", lambda: features.combine_parquet(paths, tmp / "reactions.parquet", epochs.REACTION_SCHEMA))
    matrix = timed("feature matrix", lambda: features.feature_matrix(tmp / "reactions.parquet", "max_of_max", ["full", "early"], "full"))
    matrix.to_csv(tmp / "features.tsv", sep="\t", index=False)
    for unit in data.UNITS:
        table = timed(f"[{unit}] read unit table", lambda: data.read_unit_table(unit, eq_path, tmp / "features.tsv", tmp / "reactions.parquet", "full"))
        timed(f"[{unit}] correlations", lambda: correlation.reaction_correlations(table))
        timed(f"[{unit}] OLS", lambda: ols.ols(table, cluster=unit == "participant_stimulus"))
        timed(f"[{unit}] nine regression models", lambda: regression.regression_models(
            table, test_size=0.3, folds=5, alphas=[0.01, 0.1, 1.0, 10.0], l1_ratios=[0.1, 0.5, 0.9], max_iter=10000,
            n_permutations=0, seed=0))
    timed("fan-in -> trials.parquet", lambda: features.combine_parquet(trial_paths, tmp / "trials.parquet", trials.TRIAL_SCHEMA))
    reactions = {r for test in congruence.tests(CONGRUENCE["mapping"], CONGRUENCE["contrasts"]) for r in test["reactions"]}
    means = timed("read trial means", lambda: read_trial_means(tmp / "trials.parquet", "response", reactions))
    eq = data.read_eq(eq_path)
    models = timed("congruence models (16 fits)", lambda: congruence.congruence_models(means, eq, CONGRUENCE))
    happy = congruence.tests(CONGRUENCE["mapping"], [])[0]
    timed("slowest single fit (happy, x EQ)", lambda: congruence.fit_test(means, eq, happy, "congruence_x_eq"))
    binned = timed("read trial means per bin", lambda: read_trial_means(tmp / "trials.parquet", "response", happy["reactions"],
                                                                         by=congruence.BIN_KEYS))
    timed("by-bin model (happy, 20 bins)", lambda: congruence.fit_test(binned, eq, happy, congruence.BIN_MODEL))
    effect = models[(models["test"] == "happy") & (models["term"] == "congruence") & (models["model"] == "congruence")].iloc[0]
    print(f"  planted 3.0 points: happy congruence {effect.estimate:.2f} [{effect.ci_low:.2f}, {effect.ci_high:.2f}]")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  total {time.perf_counter() - start:.1f} s wall, peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [100, 1000]:
        with tempfile.TemporaryDirectory() as tmp:
            run(n, Path(tmp))
