"""Who enters the facial analysis: results/tables/analysis_sample.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)


from mimicry.analysis import data
from mimicry.io import write_tsv
from mimicry.tables import read_quality

sample = data.analysis_sample(
    read_quality(snakemake.input.quality),
    data.read_eq(snakemake.input.eq),
    data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus"]),
)
write_tsv(sample, snakemake.output[0])
print(f"{sample['included'].sum()} of {len(sample)} participants in the facial analysis", file=sys.stderr)
