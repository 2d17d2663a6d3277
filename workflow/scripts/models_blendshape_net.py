import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.face.models import build_blendshape_net

build_blendshape_net(snakemake.input.task, snakemake.output.model,
                     command=f"snakemake rule {snakemake.rule} (workflow/rules/models.smk)")
