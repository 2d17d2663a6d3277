"""Who enters the facial analysis: results/tables/analysis_sample.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import pandas as pd

from mimicry.analysis import data
from mimicry.io import write_tsv

sample = data.analysis_sample(
    pd.read_csv(snakemake.input.quality, sep="\t", dtype={"participant_id": str}),
    data.read_eq(snakemake.input.eq),
    data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus"]),
)
write_tsv(sample, snakemake.output[0])
print(f"{sample['included'].sum()} of {len(sample)} participants in the facial analysis", file=sys.stderr)
