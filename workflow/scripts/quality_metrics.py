"""Quality metrics and automatic grade of one participant: results/quality/{participant}.json."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import epochs, quality, sheets

participant = snakemake.wildcards.participant
frames = epochs.read_frames(snakemake.input.frames, participant)
sheet = sheets.read_stimuli(snakemake.input.stimuli)
stimuli = epochs.participant_stimuli(participant, sheet, frames)
metrics = quality.quality_metrics(frames, stimuli, post_blank_ms=snakemake.params.post_blank_ms, **snakemake.params.metrics)
grade, reasons = quality.grade(metrics, snakemake.params.limits)
record = {"participant_id": participant, "metrics": metrics, "auto_grade": grade, "reasons": reasons,
          "limits": snakemake.params.limits}
quality.write_json(record, snakemake.output[0])
print(f"participant {participant}: automatic grade {grade}", *reasons, sep="\n  ", file=sys.stderr)
