"""results/features.tsv: the participant x feature matrix of the regressions."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.features import feature_matrix
from mimicry.io import write_tsv

config = snakemake.params.features
matrix = feature_matrix(snakemake.input[0], config["combine"], snakemake.params.windows, config["window"])
write_tsv(matrix, snakemake.output[0])
print(f"{len(matrix)} participants x {matrix.shape[1] - 1} features ({config['combine']})", file=sys.stderr)
