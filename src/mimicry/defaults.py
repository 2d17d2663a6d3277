"""The workflow's defaults: its own config.yaml, under whatever a study's config says.

A study's config only says what differs. Every key it leaves out takes the value of the workflow's
config.yaml, read from the workflow's folder, so the defaults never depend on the working directory
(``snakemake -s /path/to/mimicry/Snakefile -d my_study --configfile my_study/config.yaml``).
"""

from __future__ import annotations

import os

import yaml


def fill_defaults(config: dict, defaults: dict) -> dict:
    """Add to ``config``, in place, every key of ``defaults`` it lacks; return ``config``.

    Mappings present in both are filled recursively; any other value the config gives (a number, a
    string, a list such as demographics.comparisons) replaces the default whole.
    """
    for key, default in defaults.items():
        if key not in config:
            config[key] = default
        elif isinstance(config[key], dict) and isinstance(default, dict):
            fill_defaults(config[key], default)
    return config


def load_defaults(path: str | os.PathLike) -> dict:
    """The workflow's default config (its config.yaml at ``path``)."""
    with open(path) as handle:
        return yaml.safe_load(handle)
