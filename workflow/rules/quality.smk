# Recording quality: per participant, metrics and an automatic grade 0-3 with reasons; then one table
# with the manual grades of participants.tsv, which always win (docs/quality.md).
from snakemake.exceptions import WorkflowError

from mimicry import sheets
from mimicry.epochs import stimulus_digests
from mimicry.features import config_problems

QUALITY_OUTPUTS = ["results/quality.tsv"]

_problems = config_problems(config)
if _problems:
    raise WorkflowError("Invalid config:\n  " + "\n  ".join(_problems))

# A per-participant job takes its stimulus rows from the whole stimuli sheet. In a real study the sheet
# is marked ancient (its time stamp is ignored) and the job gets a hash of the participant's own rows as
# a parameter instead, so adding or editing other participants re-runs none of this participant's jobs
# ("" for rows taken from an export's stimulus column). The demo's sheets are made by a rule and are
# not known at parse time: there the sheet is a plain input, so new demo sheets re-run every job.
if DEMO:
    STIMULI_SHEET, STIMULUS_DIGESTS = SHEETS["stimuli"], {}
else:
    STIMULI_SHEET = ancient(SHEETS["stimuli"])
    STIMULUS_DIGESTS = stimulus_digests(sheets.read_stimuli(SHEETS["stimuli"], sheets.load_schema(SCHEMAS["stimuli"])))


localrules:
    quality_table,


rule quality_metrics:
    """Quality metrics and automatic grade of one participant's frames."""
    input:
        frames="results/frames/{participant}.parquet",
        stimuli=STIMULI_SHEET,
    output:
        "results/quality/{participant}.json",
    params:
        stimulus_rows=lambda w: STIMULUS_DIGESTS.get(w.participant, ""),
        schema=SCHEMAS["stimuli"],
        metrics={k: config["quality"][k] for k in ("occlusion_score", "mouth", "mouth_window_ms", "mouth_moving_sd")},
        limits=config["quality"]["limits"],
        post_blank_ms=config["epochs"]["post_blank_ms"],
    conda:
        "../../environment.yml"
    log:
        "results/logs/quality/{participant}.log",
    benchmark:
        "results/benchmarks/quality_metrics/{participant}.tsv"
    script:
        "../scripts/quality_participant.py"


rule quality_table:
    """All participants' metrics, automatic, manual and final grades and reasons."""
    input:
        records=expand("results/quality/{participant}.json", participant=PARTICIPANTS),
        participants=SHEETS["participants"],
    output:
        report("results/quality.tsv", caption="../report/quality.rst", category="2. Facial reactions"),
    params:
        schema=SCHEMAS["participants"],
    conda:
        "../../environment.yml"
    log:
        "results/logs/quality_table.log",
    script:
        "../scripts/quality_table.py"
