# Sheets, participants and shared settings. A real study's sheets are validated here, before any
# job runs, so that nothing is written to results/ from invalid inputs. The demo's sheets are made
# by a rule and validated by the scripts that read them, with the same package functions.
from pathlib import Path

from snakemake.exceptions import WorkflowError

from mimicry import cohort, sheets

SCHEMAS = {
    name: str(Path(workflow.basedir) / "workflow" / "schemas" / f"{name}.schema.yaml")
    for name in ("participants", "eq_responses", "stimuli")
}
DEMO = config["demo"]["enabled"]

if DEMO:
    SHEETS = {name: f"{config['demo']['outdir']}/{name}.tsv" for name in SCHEMAS}
    PARTICIPANTS = cohort.participant_ids(config["demo"]["n_participants"])
else:
    SHEETS = {name: config["study"][name] for name in SCHEMAS}
    try:
        _participants = sheets.read_participants(SHEETS["participants"], sheets.load_schema(SCHEMAS["participants"]))
        for _name, _reader in (("eq_responses", sheets.read_eq_responses), ("stimuli", sheets.read_stimuli)):
            _sheet = _reader(SHEETS[_name], sheets.load_schema(SCHEMAS[_name]))
            sheets.check_references(_participants, _sheet, SHEETS[_name])
    except sheets.SheetError as err:
        raise WorkflowError(f"Invalid input sheet. {err}") from None
    PARTICIPANTS = list(_participants["participant_id"])

H1_OUTPUTS = [
    "results/eq_scores.tsv",
    "results/tables/eq_normality.tsv",
    "results/tables/eq_ttests.tsv",
    "results/figures/eq_qq.png",
    "results/figures/eq_violin_distribution.png",
]


wildcard_constraints:
    participant=r"[A-Za-z0-9_-]+",
