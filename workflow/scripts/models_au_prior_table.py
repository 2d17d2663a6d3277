import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.face.models import write_prior_table

write_prior_table(snakemake.output[0], seed=snakemake.params.seed)
