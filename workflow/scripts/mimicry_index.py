"""Congruent-mimicry index per participant, its correlation with EQ and split-half reliability."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import data, mimicry_index, notes
from mimicry.io import write_tsv

p = snakemake.params
reactions = data.read_reactions(
    snakemake.input.reactions, ["participant_id", "stimulus_emotion", "block", "reaction", "window", "max"]
)
table = mimicry_index.index_table(reactions, data.read_eq(snakemake.input.eq), p.congruent["pairs"], p.window, p.congruent["halves"])
write_tsv(table, snakemake.output.index)
summary = mimicry_index.index_summary(table, p.congruent["halves"], p.confidence, notes.usable(p.max_grade))
notes.write_table(summary, snakemake.output.summary)
