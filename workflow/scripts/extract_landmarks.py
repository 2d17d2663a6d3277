"""Decode one participant's recording into results/landmarks/{participant}.parquet."""
import sys; sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: E702

import logging

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from mimicry.extract import extract_landmarks

extract_landmarks(snakemake.input.video, snakemake.output[0], snakemake.params.models_dir,
                  snakemake.wildcards.participant, threads=snakemake.threads, **snakemake.params.settings)
