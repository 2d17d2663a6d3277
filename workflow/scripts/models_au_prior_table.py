import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.face.models import write_prior_table

write_prior_table(snakemake.input[0], snakemake.output.table,
                  command=f"snakemake rule {snakemake.rule} (workflow/rules/models.smk)", seed=snakemake.params.seed)
