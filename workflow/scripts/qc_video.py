"""One participant's annotated recording: results/qc/{participant}.mp4 (on demand)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import epochs, qc

frames = epochs.read_frames(snakemake.input.frames, snakemake.wildcards.participant)
n = qc.annotated_video(snakemake.input.video, frames, snakemake.output[0], snakemake.params.models_dir,
                       threads=snakemake.threads)
print(f"{n} frames written", file=sys.stderr)
