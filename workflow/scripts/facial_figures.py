"""Figures 7-9: reactions by stimulus emotion (bars, boxes) and joy to happy faces over time (PNG + PDF).

A figure without any participant's data says so in words instead (a pilot without usable participants).
"""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import plots
from mimicry.analysis import data, notes
from mimicry.tables import read_timecourses

p, out = snakemake.params, snakemake.output
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus_emotion", "reaction", "window", "max"])
profile = data.emotion_profile(reactions, p.window, p.combine)
timecourses = read_timecourses(snakemake.input.timecourses)
joy = timecourses[(timecourses["reaction"] == "joy") & (timecourses["stimulus_emotion"] == "happy")]


def figure(draw, table, title):
    """``draw(table)``, or a figure with the sentence saying why there is nothing to draw."""
    note = notes.shortfall(table["participant_id"].nunique(), 1, "this figure", notes.usable(p.max_grade))
    if note:
        print(f"{title}: {note}", file=sys.stderr)
        return plots.note_figure(note, title)
    return draw(table)


for fig, paths in (
    (figure(plots.reactions_by_stimulus_bar, profile, "Facial reactions by stimulus emotion"), (out.bar, out.bar_pdf)),
    (figure(plots.reactions_by_stimulus_box, profile, "Facial reactions by stimulus emotion: distribution"),
     (out.box, out.box_pdf)),
    (figure(plots.reaction_timecourse, joy, "Joy during happy faces"), (out.timecourse, out.timecourse_pdf)),
):
    for path in paths:
        plots.save_figure(fig, path)
print(f"figures of {profile['participant_id'].nunique()} participants", file=sys.stderr)
