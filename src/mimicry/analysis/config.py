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
    problems += _congruence_problems(analysis["congruence"])
    first, second = analysis["congruent"]["halves"]
    if set(first) & set(second):
        problems.append(f"analysis.congruent.halves: block(s) {sorted(set(first) & set(second))} are in both halves")
    return problems


def _congruence_problems(congruence: dict) -> list[str]:
    """Unknown emotions or reactions, and repeated test names, of config analysis.congruence."""
    where = "analysis.congruence"
    emotions = [(f"{where}.mapping", e) for e in congruence["mapping"]]
    reactions = [(f"{where}.mapping.{e}", r) for e, rs in congruence["mapping"].items() for r in rs]
    for c in congruence["contrasts"]:
        emotions += [(f"{where}.contrasts[{c['name']}]", c[k]) for k in ("congruent", "incongruent")]
        reactions.append((f"{where}.contrasts[{c['name']}]", c["reaction"]))
    problems = [f"{key}: unknown stimulus emotion {e!r}; known: {', '.join(STIMULUS_EMOTIONS)}"
                for key, e in emotions if e not in STIMULUS_EMOTIONS or e == "neutral"]
    problems += [f"{key}: unknown reaction {r!r}; known: {', '.join(REACTIONS)}" for key, r in reactions if r not in REACTIONS]
    names = [*congruence["mapping"], *(c["name"] for c in congruence["contrasts"])]
    if len(set(names)) < len(names):
        problems.append(f"{where}: test names (the mapping's emotions and the contrasts' names) must be unique, got {', '.join(names)}")
    return problems
