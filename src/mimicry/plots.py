"""Figures. Every function returns a matplotlib Figure; ``save_figure`` writes it atomically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from mimicry.io import atomic_path  # noqa: E402

#: Width of an A4 text column in inches: figures are drawn at the size they are printed.
A4_WIDTH_IN = 7.0


def save_figure(fig, path, dpi: int = 150) -> None:
    """Save ``fig`` to ``path`` (format from its suffix) atomically, with fixed metadata for reruns."""
    suffix = str(path).rsplit(".", 1)[-1]
    metadata = {"Software": None} if suffix == "png" else {"Creator": None}
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
