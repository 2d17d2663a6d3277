"""Reaction features and time courses of one participant: results/reactions/ and results/timecourses/."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import epochs, sheets, trials

participant = snakemake.wildcards.participant
config = snakemake.params.epochs
frames = epochs.read_frames(snakemake.input.frames, participant)
sheet = sheets.read_stimuli(snakemake.input.stimuli)
stimuli = epochs.participant_stimuli(participant, sheet, frames)
for message in epochs.stimuli_past_end(frames, stimuli):
    print(f"participant {participant}: {message}", file=sys.stderr)
reactions, timecourses = epochs.participant_reactions(
    frames, stimuli, pre_blank_ms=config["pre_blank_ms"], post_blank_ms=config["post_blank_ms"],
    baseline=config["baseline"], min_coverage=config["min_coverage"], windows=config["windows"],
    timecourse_reactions=config["timecourse"]["reactions"], bin_ms=config["timecourse"]["bin_ms"],
)
epochs.write_parquet(reactions, snakemake.output.reactions, epochs.REACTION_SCHEMA)
epochs.write_parquet(timecourses, snakemake.output.timecourses, epochs.TIMECOURSE_SCHEMA)
bins = config["trial_bins"]
trial_table, metrics = trials.participant_trials(
    frames, stimuli, pre_blank_ms=config["pre_blank_ms"], post_blank_ms=config["post_blank_ms"],
    min_coverage=config["min_coverage"], bin_ms=bins["bin_ms"], baseline=bins["baseline"], baseline_ms=bins["baseline_ms"],
    threshold=bins["threshold"],
)
epochs.write_parquet(trial_table, snakemake.output.trials, trials.TRIAL_SCHEMA)
epochs.write_parquet(metrics, snakemake.output.imotions, trials.METRIC_SCHEMA)
nan = reactions.drop_duplicates(["stimulus", "window"])["max"].isna()
print(f"participant {participant}: {len(stimuli)} stimuli, baseline {config['baseline']}, "
      f"{nan.sum()} of {len(nan)} stimulus windows below the coverage minimum", file=sys.stderr)
