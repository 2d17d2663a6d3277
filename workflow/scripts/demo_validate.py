"""Compare the demo's results with its ground truth: demo_recovery.tsv and demo_calibration.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import pandas as pd

from mimicry.analysis import data
from mimicry.io import write_tsv
from mimicry.simulate import recovery

p = snakemake.params
truth = pd.read_csv(snakemake.input.truth, sep="\t", dtype={"participant_id": str})
events = pd.concat([pd.read_csv(path, sep="\t", dtype={"participant_id": str}) for path in snakemake.input.events],
                   ignore_index=True)
reactions = data.read_reactions(snakemake.input.reactions, ["participant_id", "stimulus", "reaction", "window", "max", "pre_median",
                                                            "peak_latency_ms"])
quality = pd.read_csv(snakemake.input.quality, sep="\t", dtype={"participant_id": str})
table = recovery.recovery_table(
    truth, events, reactions, data.read_eq(snakemake.input.eq), quality,
    pd.read_csv(snakemake.input.index_summary, sep="\t"), eq_r=p.eq_r, max_grade=p.max_grade, confidence=p.confidence,
    window=p.window, tolerance_ms=p.validation["latency_tolerance_ms"], min_peak=p.validation["min_peak"],
)
write_tsv(table, snakemake.output.recovery)
calibration = recovery.calibration_table(truth, events, reactions, quality, max_grade=p.max_grade, window=p.window)
write_tsv(calibration, snakemake.output.calibration)
print(table.to_string(index=False), calibration.to_string(index=False), sep="\n\n", file=sys.stderr)
