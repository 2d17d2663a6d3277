"""Reaction features, time courses and trial bins of the usable participants: results/reactions.parquet,
timecourses.parquet, trials.parquet, imotions.parquet."""
import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "w", buffering=1)


from mimicry.epochs import REACTION_SCHEMA, TIMECOURSE_SCHEMA
from mimicry.features import combine_parquet, usable_participants
from mimicry.tables import read_quality
from mimicry.trials import METRIC_SCHEMA, TRIAL_SCHEMA

quality = read_quality(snakemake.input.quality)
usable = set(usable_participants(quality, snakemake.params.max_grade))
for name, schema in (("reactions", REACTION_SCHEMA), ("timecourses", TIMECOURSE_SCHEMA), ("trials", TRIAL_SCHEMA),
                     ("imotions", METRIC_SCHEMA)):
    paths = [path for path in snakemake.input[name] if Path(path).stem in usable]
    rows = combine_parquet(paths, snakemake.output[name], schema)
    print(f"{name}: {len(paths)} usable participants (final grade <= {snakemake.params.max_grade}), {rows} rows", file=sys.stderr)
