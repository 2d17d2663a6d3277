"""Wall time and peak memory of the whole demo workflow for 1, 2, 4, 8 simulated participants (issue 8).

Each size runs `snakemake --cores 2 --keep-going` in a fresh folder on the default demo design, with the
scorer's model files taken from an existing models folder (built once; pass it with --models) so that
the one-off model build is not counted. Peak memory is the largest resident set of any single process
(GNU time's "Maximum resident set size" of the snakemake run, which covers its children one at a time).

    .venv/bin/python benchmarks/bench_workflow_scaling.py --models resources/models 1 2 4 8
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def run(n: int, models: Path) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, snakemake exit code) of the whole workflow on n demo participants."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["demo"]["n_participants"] = n
    config["models"]["dir"] = str(models.resolve())
    config["models"]["wheel_cache"] = str((REPO / config["models"]["wheel_cache"]).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.yaml").write_text(yaml.safe_dump(config))
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
             "--directory", tmp, "--configfile", f"{tmp}/config.yaml", "--cores", "2", "--keep-going"],
            capture_output=True, text=True)
        wall = time.perf_counter() - start
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return wall, rss_kb / 1024, proc.returncode


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, required=True, help="folder with the built model files")
    parser.add_argument("sizes", type=int, nargs="*", default=[1, 2, 4, 8])
    args = parser.parse_args()
    print("participants\twall_s\tpeak_rss_mb\texit_code", flush=True)
    for n in args.sizes:
        wall, rss, code = run(n, args.models)
        print(f"{n}\t{wall:.1f}\t{rss:.0f}\t{code}", flush=True)
