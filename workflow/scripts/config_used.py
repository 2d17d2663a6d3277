"""The configuration of this run, schema defaults filled in: results/config_used.yaml (for the report)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import yaml

from mimicry.io import atomic_path

with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(yaml.safe_dump(snakemake.params.config, sort_keys=False, allow_unicode=True))
