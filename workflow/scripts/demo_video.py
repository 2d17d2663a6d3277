"""Render one demo participant's webcam recording from the planted events."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import cv2

from mimicry import sheets
from mimicry.simulate.face import SourceFace
from mimicry.simulate.plan import rng_for
from mimicry.simulate.render import render_video
from mimicry.tables import read_keyed

cv2.setNumThreads(snakemake.threads)
pid = snakemake.wildcards.participant
participants = sheets.read_participants(snakemake.input.participants)
glasses = bool(participants.set_index("participant_id").loc[pid, "glasses"])
events = read_keyed(snakemake.input.events)
stats = render_video(
    SourceFace.load(snakemake.input.face), events, snakemake.params.duration_ms, snakemake.params.video, glasses,
    rng_for(snakemake.params.seed, "render", pid), snakemake.output[0],
)
print(f"{pid}: {stats['frames']} frames in {stats['seconds']:.1f} s, glasses {glasses}", file=sys.stderr)
