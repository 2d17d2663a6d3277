"""Power of the EQ-reaction correlation over cohort sizes and planted effects (calibrated fast path)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)


from mimicry.io import write_tsv
from mimicry.plots import save_figure
from mimicry.simulate import power
from mimicry.tables import read_keyed

p = snakemake.params
calibration = power.read_calibration(read_keyed(snakemake.input.calibration))
table = power.power_grid(p.demo, calibration, p.grid["sizes"], p.grid["effects"], p.grid["n_repeats"], p.alpha,
                         p.demo["seed"], p.confidence)
write_tsv(table, snakemake.output.table)
save_figure(power.power_figure(table, p.alpha), snakemake.output.figure)
print(table.to_string(index=False), file=sys.stderr)
