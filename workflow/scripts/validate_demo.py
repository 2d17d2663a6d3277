"""Compare the demo's results with its ground truth: demo_recovery.tsv and demo_calibration.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import pandas as pd

from mimicry.analysis import congruence, data
from mimicry.io import write_tsv
from mimicry.simulate import moderation, recovery
from mimicry.tables import read_keyed, read_quality, read_trial_means

p = snakemake.params
truth = read_keyed(snakemake.input.truth)
events = pd.concat([read_keyed(path) for path in snakemake.input.events],
                   ignore_index=True)
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus", "reaction", "window", "max", "pre_median",
                                                            "peak_latency_ms"])
quality = read_quality(snakemake.input.quality)
table = recovery.recovery_table(
    truth, events, reactions, data.read_eq(snakemake.input.eq), quality,
    read_keyed(snakemake.input.index_summary), eq_r=p.eq_r, max_grade=p.max_grade, confidence=p.confidence,
    window=p.window, tolerance_ms=p.validation["latency_tolerance_ms"], min_peak=p.validation["min_peak"],
)
tests = congruence.tests(p.congruence["mapping"], p.congruence["contrasts"])
trials = read_trial_means(snakemake.input.trials, p.congruence["response"], {r for t in tests for r in t["reactions"]})
checks, transfers, knots = moderation.demo_congruence(
    trials, events, read_keyed(snakemake.input.congruence), tests, p.demo, column=p.congruence["response"],
    random_stimulus=p.congruence["random_stimulus"], confidence=p.confidence)
table = pd.concat([table, pd.DataFrame(checks)], ignore_index=True)
write_tsv(table, snakemake.output.recovery)
calibration = recovery.calibration_table(truth, events, reactions, quality, max_grade=p.max_grade, window=p.window)
calibration = pd.concat([calibration, transfers], ignore_index=True)
write_tsv(knots, snakemake.output.transfer)
write_tsv(calibration, snakemake.output.calibration)
print(table.to_string(index=False), calibration.to_string(index=False), sep="\n\n", file=sys.stderr)
