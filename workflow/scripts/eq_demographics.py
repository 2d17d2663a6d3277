"""H1: normality and t-tests of EQ between demographic groups, and the EQ figures."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import demographics, plots, sheets
from mimicry.analysis.notes import write_table
from mimicry.tables import read_eq_scores

settings = snakemake.params.demographics
participants = sheets.read_participants(snakemake.input.participants)
scores = read_eq_scores(snakemake.input.eq_scores)
data = participants.merge(scores, on="participant_id").dropna(subset=["eq_score"])

for comparison in settings["comparisons"]:
    rows = demographics.left_out(data, comparison)
    for pid, label in zip(rows["participant_id"], rows[comparison["column"]]):
        print(f"comparison {comparison['name']}: participant {pid} is in neither group ({comparison['column']} "
              f"{label!r}); kept, left out of this test", file=sys.stderr)
write_table(demographics.normality_table(data, settings["comparisons"]), snakemake.output.normality)
write_table(
    demographics.ttest_table(data, settings["comparisons"], alpha=settings["alpha"], welch=settings["welch"]),
    snakemake.output.ttests,
)
plots.save_figure(plots.eq_qq(data, by=settings["figures_by"]), snakemake.output.qq)
plots.save_figure(plots.eq_violin_distribution(data, by=settings["figures_by"]), snakemake.output.violin)
