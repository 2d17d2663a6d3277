"""Generate the demo study's sheets (participants, EQ responses, stimuli) from config."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.simulate.cohort import generate_cohort
from mimicry.io import write_tsv

demo = snakemake.params.demo
tables = generate_cohort(demo["n_participants"], demo["seed"], demo["cohort"], demo["protocol"])
for table, name in zip(tables, ("participants", "eq_responses", "stimuli", "latent_eq")):
    write_tsv(table, snakemake.output[name])
print(f"demo cohort: {demo['n_participants']} participants, seed {demo['seed']}", file=sys.stderr)
