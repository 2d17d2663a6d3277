"""Measure each workflow job's wall time and peak memory, to size the SLURM profile's per-rule resources.

Runs the real workflow on a demo study of N participants with ``--cores 1`` (one job at a time, so a job
is not slowed by its neighbours) and samples the process tree of every ``script:`` job every 20 ms with
psutil (a Snakemake dependency). A job is named by the rule Snakemake announced last ("rule X:" or
"localrule X:"; with one core the jobs run one after another). Peak RSS is the largest sum of RSS over the
job's process tree seen at a sample, so spikes shorter than 20 ms can be missed and pages shared with a
forked child count twice.

    .venv/bin/python benchmarks/rule_resources.py --participants 12 87

prints one TSV row per job: participants, rule, script, wall_s, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
SCRIPT = re.compile(r"\.snakemake/scripts/tmp[^/.]+\.(\w+)\.py$")
RULE = re.compile(r"^(?:local)?rule (\w+):$")


def job_name(proc: psutil.Process) -> str | None:
    """The script name of a Snakemake ``script:`` job process, or None for any other process."""
    try:
        for arg in proc.cmdline():
            match = SCRIPT.search(arg)
            if match:
                return match.group(1)
    except psutil.Error:
        pass
    return None


def tracked_ancestor(proc: psutil.Process, jobs: dict) -> bool:
    """Whether one of the process's ancestors is already a measured job."""
    try:
        return any(parent.pid in jobs for parent in proc.parents())
    except psutil.Error:
        return False


def tree_rss_mb(proc: psutil.Process) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def measure(n_participants: int, workdir: Path, interval_s: float = 0.02) -> list[dict]:
    """Run the whole workflow once on a demo of ``n_participants``; one record per job."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["demo"]["n_participants"] = n_participants
    config["models"]["wheel_cache"] = str(REPO / config["models"]["wheel_cache"])  # fetched once, shared
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(configfile), "--cores", "1"]
    snakemake = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    announced = {"rule": None, "log": []}

    def follow_log():
        for line in snakemake.stderr:
            announced["log"].append(line)
            match = RULE.match(line.strip())
            if match:
                announced["rule"] = match.group(1)

    reader = threading.Thread(target=follow_log, daemon=True)
    reader.start()
    jobs: dict[int, dict] = {}  # pid of the job's script process -> record
    while snakemake.poll() is None:
        now = time.perf_counter()
        for child in snakemake.children(recursive=True):
            if child.pid not in jobs:
                script = job_name(child)
                if script is None or tracked_ancestor(child, jobs):  # a fork of a job is part of that job
                    continue
                jobs[child.pid] = {"rule": announced["rule"], "script": script, "start": now, "end": now,
                                   "peak_rss_mb": 0.0, "proc": child}
            record = jobs[child.pid]
            record["end"] = now
            try:
                record["peak_rss_mb"] = max(record["peak_rss_mb"], tree_rss_mb(record["proc"]))
            except psutil.Error:
                pass
        time.sleep(interval_s)
    reader.join()
    if snakemake.returncode != 0:
        raise RuntimeError("snakemake failed:\n" + "".join(announced["log"]))
    return [
        {"participants": n_participants, "rule": r["rule"], "script": r["script"],
         "wall_s": round(r["end"] - r["start"], 2), "peak_rss_mb": round(r["peak_rss_mb"])}
        for r in jobs.values()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[12], help="demo study sizes")
    args = parser.parse_args()
    columns = ("participants", "rule", "script", "wall_s", "peak_rss_mb")
    print("\t".join(columns))
    for n in args.participants:
        with tempfile.TemporaryDirectory(prefix="mimicry-resources-") as tmp:
            for row in measure(n, Path(tmp)):
                print("\t".join(str(row[k]) for k in columns), flush=True)


if __name__ == "__main__":
    main()
