"""Time and peak memory of the per-participant quality/epochs steps and the fan-in (issue 6).

Study-sized recording: 28 faces of 10 s with 8 s blanks at 30 fps (about 15 600 frames).
Usage: .venv/bin/python benchmarks/bench_epochs_quality.py [n_participants_for_fan_in]
"""
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mimicry import epochs, features, quality
from mimicry.names import FRAME_COLUMNS, POSE, REACTIONS, STIMULUS_EMOTION_CODES

rng = np.random.default_rng(0)
n_fanin = int(sys.argv[1]) if len(sys.argv) > 1 else 300
rows, t = [], 2000.0
for block, identity in enumerate(["AF01", "AM10", "BF07", "BM13"], 1):
    for emotion, code in STIMULUS_EMOTION_CODES.items():
        rows.append(dict(participant_id="p", stimulus=f"{identity}{code}S", stimulus_emotion=emotion, identity=identity,
                         block=block, onset_ms=t, duration_ms=10000.0))
        t += 18000
stimuli = pd.DataFrame(rows)
time_ms = np.arange(0, t, 1000 / 30)
frames = pd.DataFrame({"participant_id": "p", "frame": np.arange(len(time_ms)), "time_ms": time_ms,
                       "face": rng.random(len(time_ms)) > 0.02, "face_score": 0.9})
for c in REACTIONS:
    frames[c] = rng.uniform(0, 100, len(time_ms)).astype("float32")
for c in POSE:
    frames[c] = rng.normal(0, 5, len(time_ms)).astype("float32")
frames = frames[list(FRAME_COLUMNS)]
tmp = Path(tempfile.mkdtemp())
frames.to_parquet(tmp / "p.parquet")

t0 = time.perf_counter()
f = epochs.read_frames(tmp / "p.parquet", "p")
t1 = time.perf_counter()
m = quality.quality_metrics(f, stimuli, occlusion_score=0.5, lower_face_covered=0.25, mouth=["mouth_open", "jaw_drop"], mouth_window_ms=1000,
                            mouth_min_swing=8, mouth_min_cycles=2, post_blank_ms=8000)
t2 = time.perf_counter()
r, tc = epochs.participant_reactions(f, stimuli, pre_blank_ms=2000, post_blank_ms=8000, baseline="pre_blank_median",
                                     min_coverage=0.5, windows=[{"name": "full", "start_ms": 0},
                                                                {"name": "early", "start_ms": 0, "end_ms": 2000}],
                                     timecourse_reactions=["joy"], bin_ms=100)
t3 = time.perf_counter()
print(f"frames: {len(f)} rows; read {t1 - t0:.2f} s, quality_metrics {t2 - t1:.2f} s, participant_reactions {t3 - t2:.2f} s")
print(f"reactions: {len(r)} rows, timecourses: {len(tc)} rows")

paths = []
for i in range(n_fanin):
    p = tmp / f"r{i:04d}.parquet"
    epochs.write_parquet(r.assign(participant_id=f"p{i:04d}"), p, epochs.REACTION_SCHEMA)
    paths.append(p)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t4 = time.perf_counter()
n = features.combine_parquet(paths, tmp / "reactions.parquet", epochs.REACTION_SCHEMA)
t5 = time.perf_counter()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
mat = features.feature_matrix(tmp / "reactions.parquet", "max_of_max", ["full", "early"], "full")
t6 = time.perf_counter()
rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"fan-in of {n_fanin} participants: {n} rows in {t5 - t4:.2f} s (peak RSS {rss0:.0f} -> {rss1:.0f} MiB); "
      f"feature matrix {mat.shape} in {t6 - t5:.2f} s (peak RSS {rss2:.0f} MiB)")
