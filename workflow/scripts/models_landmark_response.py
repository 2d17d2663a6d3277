import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from pathlib import Path

from mimicry.face.models import build_landmark_response

build_landmark_response(snakemake.input.wheel, snakemake.params.spec, Path(snakemake.input.canonical).parent,
                        snakemake.output.table, command=f"snakemake rule {snakemake.rule} (workflow/rules/models.smk)",
                        seed=snakemake.params.seed)
