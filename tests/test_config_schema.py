"""The config schema documents every key and holds no defaults (those live in config.yaml only)."""

from __future__ import annotations

import yaml

from conftest import REPO

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def described_nodes(node: dict, path: str = ""):
    """(path, node) of every configurable node of a JSON schema: each section, each key, the values of a
    mapping (``path.*``) and the fields of a list's objects (``path[].field``)."""
    if path:
        yield path, node
    for key, child in node.get("properties", {}).items():
        yield from described_nodes(child, f"{path}.{key}" if path else key)
    values = node.get("additionalProperties")
    if isinstance(values, dict) and "properties" not in node:
        yield from described_nodes(values, f"{path}.*")
    items = node.get("items")
    if isinstance(items, dict):
        for key, child in items.get("properties", {}).items():
            yield from described_nodes(child, f"{path}[].{key}")


def config_keys(config: dict, path: str = ""):
    """Dotted paths of every key of a config mapping (not into lists)."""
    for key, value in config.items():
        here = f"{path}.{key}" if path else key
        yield here
        if isinstance(value, dict):
            yield from config_keys(value, here)


def test_every_configurable_node_has_a_description():
    schema = yaml.safe_load(SCHEMA.read_text())
    missing = [path for path, node in described_nodes(schema) if "description" not in node and "$ref" not in node]
    assert not missing, f"schema nodes without a description: {missing}"


def test_the_walk_sees_nested_keys():
    schema = yaml.safe_load(SCHEMA.read_text())
    paths = {path for path, _ in described_nodes(schema)}
    assert {"quality.limits.*.minor", "analysis.congruence.contrasts[].reaction", "models.wheels.*.sha256",
            "demo.reactions.congruent.*.*"} <= paths


def test_the_schema_holds_no_defaults_and_knows_every_default_key():
    schema = yaml.safe_load(SCHEMA.read_text())
    assert "default:" not in SCHEMA.read_text()
    nodes = dict(described_nodes(schema))
    known = set(nodes)
    referenced = [path for path, node in nodes.items() if "$ref" in node]  # e.g. weights: free names
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    # a key under a mapping of free names (quality.limits.<metric>, models.wheels.<name>) is matched by its "*"
    unknown = []
    for path in config_keys(defaults):
        parts = path.split(".")
        candidates = {".".join(p if i not in star else "*" for i, p in enumerate(parts))
                      for star in ({*()}, {len(parts) - 1}, {len(parts) - 2}, {len(parts) - 1, len(parts) - 2})}
        if not candidates & known and not any(path.startswith(ref + ".") for ref in referenced):
            unknown.append(path)
    assert not unknown, f"config.yaml keys the schema does not describe: {unknown}"
