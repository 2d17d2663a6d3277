"""Power of the EQ-reaction correlation and of the congruence x EQ interaction over cohort sizes and
planted effects (calibrated fast path)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis.congruence import tests
from mimicry.io import write_tsv
from mimicry.plots import save_figure
from mimicry.simulate import power
from mimicry.tables import read_keyed

p = snakemake.params
calibration = power.read_calibration(read_keyed(snakemake.input.calibration))
knots = read_keyed(snakemake.input.transfer)
test = power.find_test(tests(p.congruence["mapping"], p.congruence["contrasts"]), p.grid["interaction_test"])
grid = (p.grid["sizes"], p.grid["effects"])
table = power.power_grid(p.demo, calibration, *grid, p.grid["n_repeats"], p.alpha, p.demo["seed"], p.confidence)
interaction = power.interaction_grid(p.demo, calibration, knots[knots["test"] == test["test"]], test, *grid,
                                     p.grid["interaction_repeats"], p.alpha, p.demo["seed"], p.confidence)
table = table.merge(interaction, on=["n", "effect"], how="left")
write_tsv(table, snakemake.output.table)
save_figure(power.power_figure(table, p.alpha), snakemake.output.figure)
print(table.to_string(index=False), file=sys.stderr)
