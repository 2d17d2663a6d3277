import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.face.models import build_face_landmarker

build_face_landmarker(snakemake.input.wheel, snakemake.params.spec, snakemake.output.model,
                      command=f"snakemake rule {snakemake.rule} (workflow/rules/models.smk)")
