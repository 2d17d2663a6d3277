"""Score the EQ questionnaire: results/eq_scores.tsv."""
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)

from mimicry import sheets
from mimicry.eq import score_eq
from mimicry.io import write_tsv

participants = sheets.read_participants(snakemake.input.participants)
responses = sheets.read_eq_responses(snakemake.input.eq_responses)
sheets.check_references(participants, responses, snakemake.input.eq_responses)
scores = score_eq(responses, missing=snakemake.params.eq["missing"], max_missing=snakemake.params.eq["max_missing"])
scores = participants[["participant_id"]].merge(scores, how="left", on="participant_id")
scores["n_scored_answered"] = scores["n_scored_answered"].fillna(0).astype(int)
scores["status"] = scores["status"].fillna("no_responses")
write_tsv(scores, snakemake.output[0])
for row in scores[scores["status"] != "ok"].itertuples():
    print(f"participant {row.participant_id}: {row.status}", file=sys.stderr)
print(f"EQ scored for {scores['eq_score'].notna().sum()} of {len(scores)} participants", file=sys.stderr)
