"""mimicry: an open, reproducible pipeline for facial-mimicry research.

The package holds every piece of logic; the Snakemake workflow in ``workflow/`` only wires files to
these functions. Nothing here imports Snakemake.
"""

__version__ = "0.1.0"
