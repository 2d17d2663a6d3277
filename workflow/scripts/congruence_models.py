"""Mixed-effects models of congruent vs incongruent trial responses: results/tables/congruence_models.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import congruence, data, notes
from mimicry.tables import read_trial_means

p = snakemake.params
tests = congruence.tests(p.congruence["mapping"], p.congruence["contrasts"])
reactions = {r for test in tests for r in test["reactions"]}
trials = read_trial_means(snakemake.input.trials, p.congruence["response"], reactions)
binned = (read_trial_means(snakemake.input.trials, p.congruence["response"], reactions, by=congruence.BIN_KEYS)
          if p.congruence["by_bin"] else None)
table = congruence.congruence_models(trials, data.read_eq(snakemake.input.eq), p.congruence, p.confidence,
                                     notes.usable(p.max_grade), binned)
notes.write_table(table, snakemake.output[0])
for row in table[table["warnings"].fillna("") != ""].drop_duplicates(["test", "model"]).itertuples():
    print(f"{row.test} {row.model}: {row.warnings}", file=sys.stderr)
print(f"{table[['test', 'model']].drop_duplicates().shape[0]} models of {trials['participant_id'].nunique()} participants",
      file=sys.stderr)
