"""results/quality.tsv: every participant's metrics, automatic, manual and final grade, and reason."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import sheets
from mimicry.io import write_tsv
from mimicry.quality import quality_table, read_json

participants = sheets.read_participants(snakemake.input.participants)
records = [read_json(path) for path in snakemake.input.records]
table = quality_table(records, participants)
write_tsv(table, snakemake.output[0])
print(table["final_grade"].value_counts().sort_index().rename("participants per final grade").to_string(), file=sys.stderr)
