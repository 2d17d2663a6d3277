"""Table 1: Pearson correlation of EQ with each reaction (results/tables/reaction_correlations.tsv)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import correlation, data, notes

p = snakemake.params
table = data.read_unit_table(p.unit, snakemake.input.eq, snakemake.input.features, snakemake.input.reactions, p.window)
print(f"unit {p.unit}: {len(table)} rows of {table['participant_id'].nunique()} participants", file=sys.stderr)
who = notes.unit_words(p.unit, p.max_grade)
notes.write_table(correlation.reaction_correlations(table, confidence=p.confidence, alpha=p.alpha, who=who),
                  snakemake.output[0])
