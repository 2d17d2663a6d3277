"""Checks of the ``analysis`` config that the JSON schema cannot express (names shared with other keys)."""

from __future__ import annotations

from mimicry.names import REACTIONS, STIMULUS_EMOTIONS


def config_problems(config: dict) -> list[str]:
    """Problems of config ``analysis`` against epochs.windows and the study's names (empty when fine)."""
    analysis = config["analysis"]
    windows = [w["name"] for w in config["epochs"]["windows"]]
    problems = []
    names = [m["name"] for m in analysis["measures"]]
    if len(set(names)) < len(names):
        problems.append(f"analysis.measures: names must be unique, got {', '.join(names)}")
    for m in analysis["measures"]:
        where = f"analysis.measures[{m['name']}]"
        if m["window"] not in windows:
            problems.append(f"{where}: window {m['window']!r} is not one of epochs.windows ({', '.join(windows)})")
        if m.get("reaction") is not None and m["reaction"] not in REACTIONS:
            problems.append(f"{where}: unknown reaction {m['reaction']!r}; known: {', '.join(REACTIONS)}")
        if m.get("stimulus_emotion") is not None and m["stimulus_emotion"] not in STIMULUS_EMOTIONS:
            problems.append(
                f"{where}: unknown stimulus_emotion {m['stimulus_emotion']!r}; known: {', '.join(STIMULUS_EMOTIONS)}"
            )
    for emotion, reaction in analysis["congruent"]["pairs"].items():
        if emotion not in STIMULUS_EMOTIONS:
            problems.append(f"analysis.congruent.pairs: unknown stimulus emotion {emotion!r}; known: {', '.join(STIMULUS_EMOTIONS)}")
        if reaction not in REACTIONS:
            problems.append(f"analysis.congruent.pairs.{emotion}: unknown reaction {reaction!r}; known: {', '.join(REACTIONS)}")
    first, second = analysis["congruent"]["halves"]
    if set(first) & set(second):
        problems.append(f"analysis.congruent.halves: block(s) {sorted(set(first) & set(second))} are in both halves")
    return problems
