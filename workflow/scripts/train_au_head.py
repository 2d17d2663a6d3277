import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.face.models import build_au_head

build_au_head(snakemake.input.get("table", ""), snakemake.output.model, seed=snakemake.params.seed,
              command=f"snakemake rule {snakemake.rule} (workflow/rules/models.smk)")
