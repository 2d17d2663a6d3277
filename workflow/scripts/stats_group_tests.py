"""Median-split Mann-Whitney U and glasses t-test of per-participant reaction measures."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import sheets
from mimicry.analysis import data, group_tests
from mimicry.io import write_tsv

p = snakemake.params
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus_emotion", "reaction", "window", "max"])
measures = data.measures_table(reactions, p.measures, p.combine)
eq = data.read_eq(snakemake.input.eq).set_index("participant_id")["eq_score"]
participants = sheets.read_participants(snakemake.input.participants, sheets.load_schema(p.schema))
glasses = participants.set_index("participant_id")["glasses"].reindex(measures.index)
write_tsv(group_tests.median_split_mwu(measures, eq.reindex(measures.index), p.median_split), snakemake.output.mwu)
write_tsv(group_tests.glasses_ttest(measures, glasses, welch=p.welch), snakemake.output.glasses)
print(f"{len(measures)} participants with reactions, {eq.reindex(measures.index).notna().sum()} with EQ", file=sys.stderr)
