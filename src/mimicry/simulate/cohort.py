"""The demo cohort: seeded participants, EQ answers and stimulus logs that resemble the study.

Everything is drawn from one ``numpy.random.Generator``, so a seed gives the same sheets on any machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mimicry import eq
from mimicry.names import STIMULUS_EMOTION_CODES

#: Label that gives 2 points, 1 point, and the two that give 0, on agree- and disagree-scored items.
_AGREE_SIDE = ("strongly agree", "slightly agree", ("slightly disagree", "strongly disagree"))
_DISAGREE_SIDE = ("strongly disagree", "slightly disagree", ("slightly agree", "strongly agree"))


def participant_ids(n: int, prefix: str = "demo") -> list[str]:
    """Ids of the demo participants: demo001, demo002, ... (known before any file exists)."""
    return [f"{prefix}{i:03d}" for i in range(1, n + 1)]


def _draw(rng: np.random.Generator, choices: dict, n: int) -> np.ndarray:
    labels = list(choices)
    p = np.array([choices[k] for k in labels], dtype=float)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=n, p=p / p.sum())]


def draw_participants(rng: np.random.Generator, ids: list[str], params: dict) -> pd.DataFrame:
    """Demographics of the cohort.

    ``params``: female_fraction (0-1), age_bands / ethnicities ({label: weight}), glasses_fraction (0-1).
    Exactly round(n * female_fraction) participants are women (in random order), so that even a
    small demo cohort has both groups.
    """
    n = len(ids)
    female = rng.permutation(np.arange(n) < round(n * params["female_fraction"]))
    return pd.DataFrame(
        {
            "participant_id": ids,
            "gender": np.where(female, "female", "male"),
            "age_band": _draw(rng, params["age_bands"], n),
            "ethnicity": _draw(rng, params["ethnicities"], n),
            "glasses": np.where(rng.random(n) < params["glasses_fraction"], "true", "false"),
        }
    )


def target_eq(rng: np.random.Generator, female: np.ndarray, params: dict) -> np.ndarray:
    """Latent EQ per participant (0-80): normal with women ``gender_effect_d`` SDs above men.

    The cohort mean stays ``eq_mean``: women get +d*sd*(1-f), men -d*sd*f, f the female fraction.
    """
    f = female.mean() if len(female) else 0.0
    shift = params["gender_effect_d"] * params["eq_sd"] * np.where(female, 1 - f, -f)
    return np.clip(rng.normal(params["eq_mean"], params["eq_sd"], len(female)) + shift, 0, eq.MAX_SCORE)


def draw_answers(rng: np.random.Generator, target: float) -> dict:
    """Answers to q1..q60 whose expected EQ score is ``target`` (0-80).

    Each scored item earns Binomial(2, target/80) points, written as the label that earns them;
    filler items get a uniformly random label.
    """
    p = target / eq.MAX_SCORE
    answers = {}
    for item in range(1, 61):
        if item in eq.FILLERS:
            answers[f"q{item}"] = eq.LABELS[rng.integers(4)]
            continue
        two, one, zero = _AGREE_SIDE if item in eq.AGREE_SCORED else _DISAGREE_SIDE
        points = rng.binomial(2, p)
        answers[f"q{item}"] = two if points == 2 else one if points == 1 else zero[rng.integers(2)]
    return answers


def stimulus_log(rng: np.random.Generator, participant_id: str, protocol: dict) -> pd.DataFrame:
    """The study's protocol for one participant, times in ms from the start of the recording.

    ``protocol``: identities (one per block), lead_in_ms (blank before the first face), stimulus_ms
    (face on screen), blank_ms (blank after each face), eq_pause_ms (questionnaire after block
    ``eq_after_block``). Each block shows its identity's 6 emotional faces in random order, then neutral.
    """
    emotional = [e for e in STIMULUS_EMOTION_CODES if e != "neutral"]
    rows, t = [], float(protocol["lead_in_ms"])
    for block, identity in enumerate(protocol["identities"], start=1):
        for emotion in [*rng.permutation(emotional), "neutral"]:
            rows.append(
                {
                    "participant_id": participant_id,
                    "stimulus": f"{identity}{STIMULUS_EMOTION_CODES[emotion]}S",
                    "stimulus_emotion": emotion,
                    "identity": identity,
                    "block": block,
                    "onset_ms": t,
                    "duration_ms": float(protocol["stimulus_ms"]),
                }
            )
            t += protocol["stimulus_ms"] + protocol["blank_ms"]
        if block == protocol["eq_after_block"]:
            t += protocol["eq_pause_ms"]
    return pd.DataFrame(rows)


def recording_ms(protocol: dict) -> float:
    """Length of one demo recording, ms: the last face's blank ends it."""
    n_blocks = len(protocol["identities"])
    per_face = protocol["stimulus_ms"] + protocol["blank_ms"]
    pause = protocol["eq_pause_ms"] if protocol["eq_after_block"] < n_blocks else 0
    return protocol["lead_in_ms"] + n_blocks * len(STIMULUS_EMOTION_CODES) * per_face + pause


def generate_cohort(n: int, seed: int, cohort: dict, protocol: dict):
    """Generate the three sheets of a demo study.

    Returns (participants, eq_responses, stimuli, latent_eq) DataFrames; latent_eq holds the
    target EQ each participant's answers were drawn around (participant_id, latent_eq).
    """
    rng = np.random.default_rng(seed)
    ids = participant_ids(n)
    participants = draw_participants(rng, ids, cohort)
    latent = target_eq(rng, participants["gender"].to_numpy() == "female", cohort)
    responses = pd.DataFrame([{"participant_id": pid, **draw_answers(rng, t)} for pid, t in zip(ids, latent)])
    stimuli = pd.concat([stimulus_log(rng, pid, protocol) for pid in ids], ignore_index=True)
    return participants, responses, stimuli, pd.DataFrame({"participant_id": ids, "latent_eq": latent})
