"""Mixed-effects models of congruent vs incongruent trial responses: results/tables/congruence_models.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry.analysis import congruence, data, notes
from mimicry.tables import read_trials

p = snakemake.params
columns = ["participant_id", "stimulus", "stimulus_emotion", "identity", "reaction", p.congruence["response"]]
trials = read_trials(snakemake.input.trials, columns)
table = congruence.congruence_models(trials, data.read_eq(snakemake.input.eq), p.congruence, p.confidence,
                                     notes.usable(p.max_grade))
notes.write_table(table, snakemake.output[0])
for row in table[table["warnings"].fillna("") != ""].drop_duplicates(["test", "model"]).itertuples():
    print(f"{row.test} {row.model}: {row.warnings}", file=sys.stderr)
print(f"{table[['test', 'model']].drop_duplicates().shape[0]} models of {trials['participant_id'].nunique()} participants",
      file=sys.stderr)
