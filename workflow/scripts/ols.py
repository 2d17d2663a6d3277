"""Table 2: OLS of EQ on the 27 reactions (results/tables/ols.tsv and ols_summary.tsv)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import data, notes, ols
from mimicry.io import write_tsv

p = snakemake.params
table = data.read_unit_table(p.unit, snakemake.input.eq, snakemake.input.features, snakemake.input.reactions, p.window)
print(f"unit {p.unit}: {len(table)} rows of {table['participant_id'].nunique()} participants", file=sys.stderr)
who = notes.unit_words(p.unit, p.max_grade)
coef, summary = ols.ols(table, cluster=p.unit == "participant_stimulus", confidence=p.confidence, who=who)
write_tsv(coef, snakemake.output.coef)  # its notes are the summary's
notes.write_table(summary, snakemake.output.summary)
