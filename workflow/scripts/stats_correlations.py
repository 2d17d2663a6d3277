"""Table 1: Pearson correlation of EQ with each reaction (results/tables/reaction_correlations.tsv)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import correlation, data
from mimicry.io import write_tsv

p = snakemake.params
table = data.read_unit_table(p.unit, snakemake.input.eq, snakemake.input.features, snakemake.input.reactions, p.window)
print(f"unit {p.unit}: {len(table)} rows of {table['participant_id'].nunique()} participants", file=sys.stderr)
write_tsv(correlation.reaction_correlations(table, confidence=p.confidence, alpha=p.alpha), snakemake.output[0])
