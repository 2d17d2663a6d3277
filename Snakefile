# mimicry: facial mimicry and empathy, from webcam recordings and sample sheets to every table and
# figure of the study. See README.md and docs/architecture.md.
from pathlib import Path

from snakemake.utils import min_version, validate

from mimicry.defaults import fill_defaults, load_defaults

min_version("9.0")

# The workflow's own folder, also when this Snakefile is used as a module or run from another folder.
WORKFLOW_DIR = Path(workflow.current_basedir.get_path_or_uri(secret_free=True))
# Keys a study's config (--configfile, or a module's config:) leaves out take the workflow's config.yaml.
# Relative paths in either are relative to the working directory (-d), where results/ is written.
fill_defaults(config, load_defaults(WORKFLOW_DIR / "config.yaml"))


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/questionnaire.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/epochs.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/demo_validation.smk"


rule all:
    default_target: True
    input:
        H1_OUTPUTS,
        DEMO_OUTPUTS,
        MODEL_FILES if "video" in FRAME_SOURCES.values() else [],  # a study of engine exports only needs none
        FRAME_FILES,
        QUALITY_OUTPUTS,
        REACTION_OUTPUTS,
        FACIAL_OUTPUTS,
        DEMO_VALIDATION_OUTPUTS,


onsuccess:
    write_run_summary()


onerror:
    write_run_summary()
