"""Figures. Every function returns a matplotlib Figure; ``save_figure`` writes it atomically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from mimicry.io import atomic_path  # noqa: E402
from mimicry.names import EMOTIONS, REACTIONS, STIMULUS_EMOTIONS, display_name  # noqa: E402

#: Width of an A4 text column in inches: figures are drawn at the size they are printed.
A4_WIDTH_IN = 7.0


def save_figure(fig, path, dpi: int = 150) -> None:
    """Save ``fig`` to ``path`` (format from its suffix) atomically, with fixed metadata for reruns."""
    suffix = str(path).rsplit(".", 1)[-1]
    metadata = {"Software": None} if suffix == "png" else {"Creator": None, "CreationDate": None}
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix, bbox_inches="tight", metadata=metadata)
    plt.close(fig)


def _groups(scores: pd.DataFrame, by: str) -> list[tuple[str, np.ndarray]]:
    labels = scores[by].fillna("unknown").astype(str).str.strip().str.lower()
    return [
        (label, scores.loc[labels == label, "eq_score"].dropna().to_numpy())
        for label in sorted(labels.unique())
    ]


def eq_qq(scores: pd.DataFrame, by: str = "gender"):
    """Normal Q-Q plot of EQ (0-80) per group of ``by``, one panel each."""
    groups = [(label, x) for label, x in _groups(scores, by) if len(x) >= 3]
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(A4_WIDTH_IN, 3.2), squeeze=False)
    for ax, (label, x) in zip(axes[0], groups):
        (osm, osr), (slope, intercept, _) = stats.probplot(x, dist="norm")
        ax.scatter(osm, osr, s=12)
        ax.plot(osm, slope * np.asarray(osm) + intercept, color="black", lw=1)
        ax.set_title(f"{label} (n={len(x)})")
        ax.set_xlabel("theoretical normal quantile")
    axes[0][0].set_ylabel("EQ score (0-80)")
    fig.suptitle("Q-Q plots of EQ score")
    fig.tight_layout()
    return fig


def eq_violin_distribution(scores: pd.DataFrame, by: str = "gender"):
    """Violin plot of EQ per group of ``by`` (left) and the overlaid distributions (right)."""
    groups = [(label, x) for label, x in _groups(scores, by) if len(x) >= 2]
    fig, (left, right) = plt.subplots(1, 2, figsize=(A4_WIDTH_IN, 3.2))
    if groups:
        left.violinplot([x for _, x in groups], showmedians=True)
        left.set_xticks(range(1, len(groups) + 1), [f"{label}\n(n={len(x)})" for label, x in groups])
    left.set_ylabel("EQ score (0-80)")
    left.set_title(f"EQ by {by}")
    bins = np.arange(0, 82, 4)
    for label, x in groups:
        right.hist(x, bins=bins, alpha=0.5, density=True, label=label)
    right.set_xlabel("EQ score (0-80)")
    right.set_ylabel("density")
    right.set_title("distribution")
    if groups:
        right.legend(frameon=False)
    fig.tight_layout()
    return fig


def _stimulus_panels(profile: pd.DataFrame, draw, ylabel: str, title: str):
    """One panel per stimulus emotion, stacked, x = the 27 reactions (emotions first, then expressions).

    ``profile``: participant_id, stimulus_emotion, reaction, value (0-100), one value per participant.
    ``draw(ax, x, values)`` draws one panel from a list of 27 arrays of participant values.
    """
    emotions = [e for e in STIMULUS_EMOTIONS if e in set(profile["stimulus_emotion"])]
    fig, axes = plt.subplots(
        len(emotions), 1, figsize=(A4_WIDTH_IN, 1.2 * len(emotions) + 1.6), sharex=True, sharey=True, squeeze=False
    )
    x = np.arange(len(REACTIONS))
    colors = np.where(np.isin(REACTIONS, EMOTIONS), "C3", "C0")
    for ax, emotion in zip(axes[:, 0], emotions):
        rows = profile[profile["stimulus_emotion"] == emotion]
        values = [rows.loc[rows["reaction"] == r, "value"].dropna().to_numpy() for r in REACTIONS]
        draw(ax, x, values, colors)
        ax.text(0.005, 0.95, f"{emotion} faces (n = {rows['participant_id'].nunique()})", transform=ax.transAxes,
                va="top", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    bottom = axes[-1, 0]
    bottom.set_xticks(x, [display_name(r) for r in REACTIONS], rotation=90, fontsize=7)
    bottom.set_xlim(-0.7, len(REACTIONS) - 0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("C3", "C0")]
    fig.legend(handles, ["emotion", "expression"], loc="upper right", ncol=2, frameon=False, fontsize=8)
    fig.supylabel(ylabel, fontsize=9)
    fig.suptitle(title, fontsize=10, x=0.02, ha="left")
    fig.tight_layout(h_pad=0.3)
    return fig


def reactions_by_stimulus_bar(profile: pd.DataFrame):
    """Figure 7: per stimulus emotion, the mean over participants of each reaction's max (0-100), +- 1 SEM.

    ``profile`` as from ``mimicry.analysis.data.emotion_profile``.
    """

    def draw(ax, x, values, colors):
        means = [v.mean() if len(v) else np.nan for v in values]
        sems = [v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan for v in values]
        ax.bar(x, means, yerr=sems, color=colors, width=0.75, error_kw={"lw": 0.6, "capsize": 1.2})

    return _stimulus_panels(profile, draw, "max reaction, mean over participants (0-100; bars: +-1 SEM)",
                            "Facial reactions by stimulus emotion")


def reactions_by_stimulus_box(profile: pd.DataFrame):
    """Figure 8: per stimulus emotion, the distribution over participants of each reaction's max (0-100)."""

    def draw(ax, x, values, colors):
        present = [i for i, v in enumerate(values) if len(v)]
        boxes = ax.boxplot([values[i] for i in present], positions=x[present], widths=0.6, patch_artist=True,
                           flierprops={"markersize": 2, "alpha": 0.6}, medianprops={"color": "black", "lw": 0.8},
                           boxprops={"lw": 0.5}, whiskerprops={"lw": 0.5}, capprops={"lw": 0.5})
        for patch, i in zip(boxes["boxes"], present):
            patch.set_facecolor(colors[i])
            patch.set_alpha(0.7)

    return _stimulus_panels(profile, draw, "max reaction per participant (0-100)",
                            "Facial reactions by stimulus emotion: distribution over participants")


def note_figure(text: str, title: str):
    """A figure that says, in ``text``, why ``title`` could not be drawn (a pilot without data for it)."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 2.0))
    ax.axis("off")
    ax.set_title(title, fontsize=10, loc="left")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9, transform=ax.transAxes)
    return fig


def reaction_timecourse(timecourses: pd.DataFrame, reaction: str = "joy", stimulus_emotion: str = "happy"):
    """Figure 9: ``reaction`` (0-100) over time since the onset of ``stimulus_emotion`` faces (ms).

    ``timecourses``: participant_id, stimulus_emotion, reaction, time_ms (since onset), value. One thin
    line per participant (mean over that participant's stimuli in each time bin) and the mean over
    participants as a thick line.
    """
    rows = timecourses[(timecourses["reaction"] == reaction) & (timecourses["stimulus_emotion"] == stimulus_emotion)]
    per_participant = rows.groupby(["participant_id", "time_ms"], observed=True)["value"].mean().reset_index()
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.2))
    for i, (_, line) in enumerate(per_participant.groupby("participant_id", observed=True)):
        ax.plot(line["time_ms"], line["value"], color="0.55", lw=0.7, alpha=0.7, label="participant" if i == 0 else None)
    mean = per_participant.groupby("time_ms")["value"].mean()
    ax.plot(mean.index, mean.to_numpy(), color="C3", lw=2.2, label="mean over participants")
    ax.axvline(0, color="black", lw=0.8, ls="--", label="stimulus onset")
    n = per_participant["participant_id"].nunique()
    ax.set_xlabel("time since stimulus onset (ms)")
    ax.set_ylabel(f"{display_name(reaction)} (0-100)")
    ax.set_title(f"{display_name(reaction)} during {stimulus_emotion} faces (n = {n} participants)", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(lw=0.3, alpha=0.5)
    fig.tight_layout()
    return fig


def _mean_ci(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Mean and half-width of its t interval over participants (NaN half-width for fewer than 2)."""
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return (values.mean() if len(values) else np.nan), np.nan
    return values.mean(), stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))


def congruence_timecourses(courses: pd.DataFrame, titles: dict, ylabel: str, confidence: float = 0.95):
    """Per test (one panel): the mean over participants of the congruent and the incongruent response in
    each time bin (ms since onset), with between-participant ``confidence`` intervals (t, shaded).

    ``courses`` from mimicry.analysis.congruence.congruence_timecourses; ``titles``: test -> panel title.
    """
    names = list(titles)
    ncols = 2
    nrows = max(1, -(-len(names) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(A4_WIDTH_IN, 1.9 * nrows + 0.8), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        rows = courses[courses["test"] == name]
        for congruent, color, label in ((1.0, "C3", "congruent"), (0.0, "C0", "incongruent")):
            part = rows[rows["congruence"] == congruent]
            bins = np.sort(part["bin_start_ms"].unique())
            mean, half = np.array([_mean_ci(part.loc[part["bin_start_ms"] == b, "response"].to_numpy(float), confidence)
                                   for b in bins]).reshape(-1, 2).T
            ax.plot(bins, mean, color=color, lw=1.5, label=label, marker="o", ms=2.5)
            ax.fill_between(bins, mean - half, mean + half, color=color, alpha=0.2, lw=0)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(f"{titles[name]} (n = {rows['participant_id'].nunique()})", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(lw=0.3, alpha=0.5)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(frameon=False, fontsize=7)
    fig.supxlabel("time bin start since stimulus onset (ms)", fontsize=9)
    fig.supylabel(ylabel, fontsize=9)
    fig.tight_layout()
    return fig


def congruence_forest(effects: pd.DataFrame, panels: dict):
    """Forest plots, one panel per (model, term) of ``panels`` (-> panel title): each test's estimate with
    its interval (ci_low, ci_high); a test whose model was not fitted is listed with its note's 'not fitted'.

    ``effects``: rows of results/tables/congruence_models.tsv (test, model, term, estimate, ci_low, ci_high).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(A4_WIDTH_IN, 0.35 * effects["test"].nunique() + 1.4),
                             sharey=True, squeeze=False)
    tests_ = list(dict.fromkeys(effects["test"]))
    y = np.arange(len(tests_))[::-1]
    for ax, ((model, term), title) in zip(axes[0], panels.items()):
        rows = effects[(effects["model"] == model) & (effects["term"] == term)].set_index("test").reindex(tests_)
        ax.errorbar(rows["estimate"], y, xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                    fmt="o", color="C3", ms=4, capsize=2, lw=1)
        for yi, value in zip(y, rows["estimate"]):
            if np.isnan(value):
                ax.text(0, yi, "not fitted", fontsize=7, va="center", color="0.4")
        ax.axvline(0, color="black", lw=0.6, ls="--")
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", lw=0.3, alpha=0.5)
        ax.tick_params(labelsize=7)
    axes[0][0].set_yticks(y, tests_, fontsize=8)
    fig.tight_layout()
    return fig
