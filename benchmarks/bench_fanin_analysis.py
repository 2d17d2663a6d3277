"""Fan-in and facial analyses at scale (issue 8): 100 and 1 000 simulated participants' reaction tables.

Each participant gets 28 stimuli x 27 reactions x 2 windows of reaction features (random, 0-100) and an
EQ score; the run times the fan-in (results/reactions.parquet), the feature matrix, and the analyses of
stats.smk without permutations: correlations, OLS, the nine regression models, in both analysis units.
Usage: .venv/bin/python benchmarks/bench_fanin_analysis.py [N ...]   (default: 100 1000)
"""

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mimicry import epochs, features
from mimicry.analysis import correlation, data, ols, regression
from mimicry.names import REACTIONS, STIMULUS_EMOTION_CODES


def reactions_of(participant: str, rng: np.random.Generator) -> pd.DataFrame:
    """Reaction features of one simulated participant: 28 stimuli x 27 reactions x 2 windows."""
    stimuli = [(f"{i}{code}S", emotion, i, block) for block, i in enumerate(["AF01", "AM10", "BF07", "BM13"], 1)
               for emotion, code in STIMULUS_EMOTION_CODES.items()]
    rows = [(participant, s, e, i, b, r, w) for s, e, i, b in stimuli for r in REACTIONS for w in ("full", "early")]
    table = pd.DataFrame(rows, columns=["participant_id", "stimulus", "stimulus_emotion", "identity", "block", "reaction", "window"])
    n = len(table)
    return table.assign(max=rng.uniform(0, 100, n), mean=rng.uniform(0, 50, n), peak_latency_ms=rng.uniform(0, 10000, n),
                        n_frames=300, coverage=1.0, baseline="none")


def timed(label: str, fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    print(f"  {label:38s} {time.perf_counter() - start:7.2f} s wall {time.process_time() - cpu:7.2f} s CPU", flush=True)
    return result


def run(n: int, tmp: Path) -> None:
    rng = np.random.default_rng(n)
    paths = []
    for i in range(n):
        path = tmp / f"r{i:05d}.parquet"
        table = reactions_of(f"p{i:05d}", rng)
        epochs.write_parquet(table[[f.name for f in epochs.REACTION_SCHEMA]], path, epochs.REACTION_SCHEMA)
        paths.append(path)
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  total {time.perf_counter() - start:.1f} s wall, peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [100, 1000]:
        with tempfile.TemporaryDirectory() as tmp:
            run(n, Path(tmp))
