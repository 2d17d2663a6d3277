"""The run summary names, per participant, the first missing stage and the error its log ends with."""

from mimicry.run_summary import run_summary


def touch(root, path, text=""):
    path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


#: Stages as the workflow passes them (its rules' output and log patterns), one with two outputs.
STAGES = {
    "video": [("extract", ["results/landmarks/{participant}.parquet"], "results/logs/extract/{participant}.log"),
              ("frames", ["results/frames/{participant}.parquet"], "results/logs/frames/{participant}.log"),
              ("quality", ["results/quality/{participant}.json"], "results/logs/quality/{participant}.log"),
              ("reactions", ["results/reactions/{participant}.parquet", "results/trials/{participant}.parquet"],
               "results/logs/reactions/{participant}.log")],
}
STAGES["export"] = STAGES["video"][1:]


def test_complete_failed_and_not_run(tmp_path):
    for stage in ("landmarks/p1.parquet", "frames/p1.parquet", "quality/p1.json", "reactions/p1.parquet",
                  "trials/p1.parquet"):
        touch(tmp_path, f"results/{stage}")
    touch(tmp_path, "results/logs/extract/p2.log", "decoding\nparticipant p2: video x.mp4: truncated or corrupt\n\n")
    touch(tmp_path, "results/frames/p3.parquet")  # an export: no extraction stage
    for stage in ("frames/p4.parquet", "quality/p4.json", "reactions/p4.parquet", "logs/reactions/p4.log"):
        touch(tmp_path, f"results/{stage}")  # one of the stage's two outputs is missing
    summary = run_summary(["p1", "p2", "p3", "p4"], STAGES, {"p3": "openface", "p4": "pyfeat"},
                          tmp_path).set_index("participant_id")
    assert summary.loc["p1", "status"] == "complete" and summary.loc["p1", "stage"] == ""
    assert summary.loc["p2", "status"] == "failed" and summary.loc["p2", "stage"] == "extract"
    assert summary.loc["p2", "message"] == "participant p2: video x.mp4: truncated or corrupt"
    assert summary.loc["p2", "log"] == "results/logs/extract/p2.log"
    assert summary.loc["p3", "status"] == "not run" and summary.loc["p3", "stage"] == "quality"
    assert summary.loc["p4", "status"] == "failed" and summary.loc["p4", "stage"] == "reactions"
