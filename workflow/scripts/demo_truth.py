"""Plan the demo study's ground truth: truth.tsv (per participant) and truth/{participant}.tsv (events)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.tables import read_keyed

from mimicry import sheets
from mimicry.io import write_tsv
from mimicry.simulate.plan import plan_study

participants = sheets.read_participants(snakemake.input.participants)
stimuli = sheets.read_stimuli(snakemake.input.stimuli)
latent = read_keyed(snakemake.input.latent_eq)
truth, events = plan_study(participants, stimuli, latent, snakemake.params.demo, snakemake.params.duration_ms)
write_tsv(truth, snakemake.output.truth)
by_participant = dict(tuple(events.groupby("participant_id")))
for path in snakemake.output.events:
    pid = path.rsplit("/", 1)[-1].removesuffix(".tsv")
    write_tsv(by_participant.get(pid, events.iloc[:0]), path)
print(truth.to_string(index=False), file=sys.stderr)
