"""Table 3: the nine predictive models of EQ (results/tables/regression_models.tsv)."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import data, notes, regression

p = snakemake.params
table = data.read_unit_table(p.unit, snakemake.input.eq, snakemake.input.features, snakemake.input.reactions, p.window)
print(f"unit {p.unit}: {len(table)} rows of {table['participant_id'].nunique()} participants", file=sys.stderr)
models = regression.regression_models(
    table,
    test_size=p.test_size,
    folds=p.cv_folds,
    alphas=p.elastic_net["alphas"],
    l1_ratios=p.elastic_net["l1_ratios"],
    max_iter=p.elastic_net["max_iter"],
    n_permutations=p.n_permutations,
    seed=p.seed,
    who=notes.usable(p.max_grade),
)
notes.write_table(models, snakemake.output[0])
