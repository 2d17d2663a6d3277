"""Median-split Mann-Whitney U and glasses t-test of per-participant reaction measures."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import sheets
from mimicry.analysis import data, group_tests, notes

p = snakemake.params
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus_emotion", "reaction", "window", "max"])
measures = data.measures_table(reactions, p.measures, p.combine)
eq = data.read_eq(snakemake.input.eq).set_index("participant_id")["eq_score"]  # everyone with an EQ score
participants = sheets.read_participants(snakemake.input.participants)
glasses = participants.set_index("participant_id")["glasses"].reindex(measures.index)
analysed, who = eq.reindex(measures.index), notes.usable(p.max_grade)
threshold = group_tests.split_threshold(analysed, eq, p.median_split["threshold"])
notes.write_table(group_tests.median_split_mwu(measures, analysed, threshold, p.median_split["high"], who),
                  snakemake.output.mwu)
notes.write_table(group_tests.glasses_ttest(measures, glasses, welch=p.welch, who=who), snakemake.output.glasses)
print(f"{len(measures)} participants with reactions, {eq.reindex(measures.index).notna().sum()} with EQ", file=sys.stderr)
