"""One participant's quality-control page: results/qc/{participant}.png."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import epochs, qc, quality, sheets

participant = snakemake.wildcards.participant
frames = epochs.read_frames(snakemake.input.frames, participant)
sheet = sheets.read_stimuli(snakemake.input.stimuli)
stimuli = epochs.participant_stimuli(participant, sheet, frames)
record = quality.read_json(snakemake.input.record)
video = getattr(snakemake.input, "video", None)
qc.qc_page(participant, frames, stimuli, record, snakemake.params.settings, snakemake.output[0], video=video,
           models_dir=snakemake.params.models_dir)
