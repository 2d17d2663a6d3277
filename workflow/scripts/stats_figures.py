"""Figures 7-9: reactions by stimulus emotion (bars, boxes) and joy to happy faces over time (PNG + PDF)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import pandas as pd

from mimicry import plots
from mimicry.analysis import data

p, out = snakemake.params, snakemake.output
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus_emotion", "reaction", "window", "max"])
profile = data.emotion_profile(reactions, p.window, p.combine)
timecourses = pd.read_parquet(snakemake.input.timecourses).astype({"participant_id": str})
for fig, paths in (
    (plots.reactions_by_stimulus_bar(profile), (out.bar, out.bar_pdf)),
    (plots.reactions_by_stimulus_box(profile), (out.box, out.box_pdf)),
    (plots.reaction_timecourse(timecourses, "joy", "happy"), (out.timecourse, out.timecourse_pdf)),
):
    for path in paths:
        plots.save_figure(fig, path)
print(f"figures of {profile['participant_id'].nunique()} participants", file=sys.stderr)
