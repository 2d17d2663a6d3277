"""Power of the EQ-reaction correlation over cohort sizes and planted effects (calibrated fast path)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

import pandas as pd

from mimicry.io import write_tsv
from mimicry.plots import save_figure
from mimicry.simulate import power

p = snakemake.params
calibration = power.read_calibration(pd.read_csv(snakemake.input.calibration, sep="\t"))
table = power.power_grid(p.demo, calibration, p.grid["sizes"], p.grid["effects"], p.grid["n_repeats"], p.alpha,
                         p.demo["seed"], p.confidence)
write_tsv(table, snakemake.output.table)
save_figure(power.power_figure(table, p.alpha), snakemake.output.figure)
print(table.to_string(index=False), file=sys.stderr)
