"""The ground truth of the demo study: who mimics how much, when, and what goes wrong on camera.

Everything is drawn from generators seeded by (seed, stream name[, participant]), so a participant's
plan does not change when the cohort grows, and the renderer's random webcam life is independent
of the plan. Times are ms from the start of the recording unless the column says "latency".
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from mimicry.names import STIMULUS_EMOTIONS
from mimicry.simulate.expressions import SIMULATED

#: Planted quality problems a participant can have (one each).
PROBLEMS = ("camera_off", "hand_over_mouth", "talking")
#: Columns of the per-participant truth table, truth/{participant}.tsv (one row per planted event).
EVENT_COLUMNS = (
    "participant_id", "event", "stimulus", "stimulus_emotion", "reaction",
    "start_ms", "peak_ms", "end_ms", "onset_latency_ms", "peak_latency_ms", "peak", "gain",
)
#: Largest planted peak intensity (stronger warps fold the face).
MAX_PEAK = 1.5
#: Columns of the cohort truth table, truth.tsv.
TRUTH_COLUMNS = ("participant_id", "latent_eq", "gain", "glasses", "problem")


def rng_for(seed: int, stream: str, participant_id: str = "") -> np.random.Generator:
    """A generator for one purpose (``stream``) and, optionally, one participant; stable across machines."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode()), zlib.crc32(participant_id.encode())])


def check_reactions(reactions: dict, stimulus_ms: float) -> None:
    """Raise ValueError naming the config key when demo.reactions cannot be simulated."""
    for emotion, mapping in reactions["congruent"].items():
        if emotion not in STIMULUS_EMOTIONS:
            raise ValueError(f"demo.reactions.congruent: unknown stimulus emotion {emotion!r}; known: {STIMULUS_EMOTIONS}")
        unknown = set(mapping) - set(SIMULATED)
        if unknown:
            raise ValueError(f"demo.reactions.congruent.{emotion}: cannot simulate {sorted(unknown)}; can: {SIMULATED}")
    low, high = reactions["onset_latency_ms"]
    if not 0 <= low <= high or high + reactions["rise_ms"] >= stimulus_ms:
        raise ValueError(
            f"demo.reactions: onset_latency_ms {reactions['onset_latency_ms']} + rise_ms {reactions['rise_ms']} must end inside "
            f"the stimulus ({stimulus_ms} ms)"
        )


def mimicry_gains(latent_eq: np.ndarray, rng: np.random.Generator, reactions: dict, eq_mean: float, eq_sd: float):
    """Per-participant mimicry gain (>= 0; 1 = the full simulated expression), correlated with latent EQ.

    gain = gain_mean + gain_sd * (r * z + sqrt(1 - r^2) * e), z the latent EQ standardised with the
    cohort's eq_mean and eq_sd (0-80 scale), e standard normal, r = reactions["eq_r"]; clipped at 0.
    """
    r = reactions["eq_r"]
    z = (np.asarray(latent_eq, dtype=float) - eq_mean) / eq_sd
    e = rng.standard_normal(len(z))
    return np.clip(reactions["gain_mean"] + reactions["gain_sd"] * (r * z + np.sqrt(1 - r**2) * e), 0, None)


def trial_factors(rng: np.random.Generator, trial_sd: float, size=None):
    """Trial-to-trial factors of a planted peak (a float, or an array of ``size``): N(1, trial_sd), clipped at 0."""
    return np.maximum(0.0, 1 + trial_sd * rng.standard_normal(size))


def peak_intensity(gain, weight, trial):
    """Planted peak intensity (0-MAX_PEAK) of an expression: gain x weight x trial factor, clipped at MAX_PEAK."""
    return np.minimum(np.multiply(np.multiply(gain, weight), trial), MAX_PEAK)


def reaction_events(rng: np.random.Generator, stimuli: pd.DataFrame, gain: float, reactions: dict) -> list[dict]:
    """Planted reactions of one participant: per emotional stimulus, its congruent expressions.

    Each reaction starts onset_latency_ms (uniform in reactions["onset_latency_ms"]) after stimulus onset, rises for
    rise_ms to its peak (gain * weight * trial factor, trial factor ~ N(1, trial_sd); clipped to 0-MAX_PEAK),
    then falls for decay_ms or until the stimulus ends, whichever is first.
    """
    rows = []
    for stim in stimuli.itertuples(index=False):
        mapping = reactions["congruent"].get(stim.stimulus_emotion, {})
        if not mapping:
            continue
        onset = rng.uniform(*reactions["onset_latency_ms"])
        trial = trial_factors(rng, reactions["trial_sd"])
        peak_latency = onset + reactions["rise_ms"]
        end = min(stim.onset_ms + peak_latency + reactions["decay_ms"], stim.onset_ms + stim.duration_ms)
        for expression, weight in mapping.items():
            rows.append({
                "event": "reaction", "stimulus": stim.stimulus, "stimulus_emotion": stim.stimulus_emotion,
                "reaction": expression, "start_ms": stim.onset_ms + onset, "peak_ms": stim.onset_ms + peak_latency,
                "end_ms": end, "onset_latency_ms": onset, "peak_latency_ms": peak_latency, "peak": float(peak_intensity(gain, weight, trial)),
            })
    return rows


def blanks(stimuli: pd.DataFrame, duration_ms: float) -> list[tuple[float, float]]:
    """(start, end) ms of the blank after each stimulus, up to the next stimulus or the recording's end."""
    ends = (stimuli["onset_ms"] + stimuli["duration_ms"]).to_numpy()
    nexts = np.append(stimuli["onset_ms"].to_numpy()[1:], duration_ms)
    return [(a, b) for a, b in zip(ends, nexts) if b > a]


def problem_events(rng: np.random.Generator, kind: str, stimuli: pd.DataFrame, duration_ms: float, problems: dict):
    """The events of one planted problem: a camera-off or hand-over-mouth stretch, or talking in blanks."""
    if kind == "talking":
        gaps = blanks(stimuli, duration_ms)
        n = max(1, int(np.ceil(problems["talking_blank_fraction"] * len(gaps))))
        chosen = sorted(rng.choice(len(gaps), size=n, replace=False))
        return [{"event": kind, "start_ms": gaps[i][0], "end_ms": gaps[i][1], "peak": problems["talking_intensity"]}
                for i in chosen]
    length = min(problems[f"{kind}_ms"], duration_ms)
    start = rng.uniform(0, duration_ms - length)
    return [{"event": kind, "start_ms": start, "end_ms": start + length, "peak": 1.0}]


def assign_problems(rng: np.random.Generator, ids: list[str], problems: dict) -> dict[str, str]:
    """{participant_id: problem} for round(fraction * n) participants, kinds taken in turn (each kind once
    before any repeats), the rest "none"."""
    n_bad = round(problems["fraction"] * len(ids))
    bad = rng.permutation(len(ids))[:n_bad]
    kinds = problems["kinds"]
    out = {pid: "none" for pid in ids}
    for k, i in enumerate(bad):
        out[ids[i]] = kinds[k % len(kinds)]
    return out


def plan_study(participants: pd.DataFrame, stimuli: pd.DataFrame, latent_eq: pd.DataFrame, demo: dict,
               duration_ms: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ground truth of a demo study.

    ``demo``: the config's demo section (seed, cohort.eq_mean/eq_sd, reactions, problems).
    Returns (truth: TRUTH_COLUMNS, one row per participant; events: EVENT_COLUMNS, all participants).
    """
    reactions, problems, seed = demo["reactions"], demo["problems"], demo["seed"]
    check_reactions(reactions, stimuli["duration_ms"].min())
    truth = participants[["participant_id", "glasses"]].merge(latent_eq, on="participant_id", validate="1:1")
    truth["gain"] = mimicry_gains(truth["latent_eq"].to_numpy(), rng_for(seed, "gain"), reactions,
                                  demo["cohort"]["eq_mean"], demo["cohort"]["eq_sd"])
    truth["problem"] = truth["participant_id"].map(assign_problems(rng_for(seed, "problems"), list(truth["participant_id"]), problems))
    events = []
    for row in truth.itertuples(index=False):
        own = stimuli[stimuli["participant_id"] == row.participant_id].sort_values("onset_ms")
        rows = reaction_events(rng_for(seed, "reactions", row.participant_id), own, row.gain, reactions)
        if row.problem != "none":
            rows += problem_events(rng_for(seed, "problems", row.participant_id), row.problem, own, duration_ms, problems)
        events += [{"participant_id": row.participant_id, "gain": row.gain, **r} for r in rows]
    events = pd.DataFrame(events).reindex(columns=list(EVENT_COLUMNS))
    ms = ["start_ms", "peak_ms", "end_ms", "onset_latency_ms", "peak_latency_ms"]
    events[ms] = events[ms].round(1)
    return truth[list(TRUTH_COLUMNS)], events.sort_values(["participant_id", "start_ms"], kind="stable", ignore_index=True)
