"""Figures 7-9: what is drawn equals what is computed here from the raw reaction rows."""

import numpy as np
import pandas as pd
import pytest

from mimicry import plots
from mimicry.analysis import data
from mimicry.names import REACTIONS, STIMULUS_EMOTIONS, display_name

from test_analysis import synthetic_reactions, synthetic_stimuli


@pytest.fixture(scope="module")
def reactions():
    ids = [f"p{i}" for i in range(6)]
    eq = pd.Series(np.linspace(30, 60, 6), index=pd.Index(ids, name="participant_id"))
    return synthetic_reactions(synthetic_stimuli(ids), eq, seed=1)


def test_bar_figure_shows_mean_over_participants_of_each_max(reactions):
    fig = plots.reactions_by_stimulus_bar(data.emotion_profile(reactions, "full", "max_of_max"))
    axes = fig.axes
    assert len(axes) == len(STIMULUS_EMOTIONS)
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == [display_name(r) for r in REACTIONS]
    full = reactions[reactions["window"] == "full"]
    for ax, emotion in zip(axes, STIMULUS_EMOTIONS):
        per_participant = full[full.stimulus_emotion == emotion].pivot_table(
            index="participant_id", columns="reaction", values="max", aggfunc="max"
        )
        expected = per_participant.mean()[list(REACTIONS)].to_numpy()
        heights = np.array([bar.get_height() for bar in ax.patches])
        assert np.allclose(heights, expected)
        assert emotion in ax.texts[0].get_text() and "n = 6" in ax.texts[0].get_text()
    assert any("0-100" in t.get_text() for t in fig.texts)  # the shared y label


def test_box_figure_has_one_box_per_reaction_and_panel(reactions):
    fig = plots.reactions_by_stimulus_box(data.emotion_profile(reactions, "full", "mean_of_max"))
    full = reactions[reactions["window"] == "full"]
    for ax, emotion in zip(fig.axes, STIMULUS_EMOTIONS):
        medians = [line.get_ydata()[0] for line in ax.lines if line.get_linewidth() == 0.8]  # median lines
        per_participant = full[full.stimulus_emotion == emotion].pivot_table(
            index="participant_id", columns="reaction", values="max", aggfunc="mean"
        )
        assert len(medians) == len(REACTIONS)
        assert np.allclose(medians, per_participant.median()[list(REACTIONS)].to_numpy())


def test_timecourse_has_a_line_per_participant_and_their_mean():
    t = np.arange(0, 1000, 100.0)
    rows = []
    for i, pid in enumerate(["a", "b", "c"]):
        for stimulus, offset in (("AF01HAS", 0.0), ("AM10HAS", 2.0)):
            rows.append(pd.DataFrame({"participant_id": pid, "stimulus": stimulus, "stimulus_emotion": "happy",
                                      "reaction": "joy", "time_ms": t, "value": i * 10 + offset + t / 100}))
    rows.append(rows[0].assign(reaction="anger", value=99.0))  # other reactions are not drawn
    fig = plots.reaction_timecourse(pd.concat(rows), "joy", "happy")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert labels.count("mean over participants") == 1 and len(ax.lines) == 3 + 2  # participants, mean, onset
    mean = ax.lines[labels.index("mean over participants")]
    assert np.allclose(mean.get_xdata(), t)
    assert np.allclose(mean.get_ydata(), 10 + 1 + t / 100)  # participants 0, 10, 20 (+1 from the two stimuli)
    assert ax.get_xlabel() == "time since stimulus onset (ms)" and ax.get_ylabel() == "Joy (0-100)"
    assert "n = 3" in ax.get_title()


def test_figures_are_written_as_png_and_pdf(tmp_path):
    timecourse = pd.DataFrame({"participant_id": "a", "stimulus_emotion": "happy", "reaction": "joy",
                               "time_ms": [0.0, 100.0], "value": [1.0, 2.0]})
    fig = plots.reaction_timecourse(timecourse)
    for name in ("bar.png", "bar.pdf"):
        plots.save_figure(fig, tmp_path / name)
    assert (tmp_path / "bar.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "bar.pdf").read_bytes()[:5] == b"%PDF-"
    # no time stamp: a rerun writes the same bytes (the demo's PDFs differed only in CreationDate)
    assert b"CreationDate" not in (tmp_path / "bar.pdf").read_bytes()
