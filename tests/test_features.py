"""Fan-in: usable participants, combined parquet files, the feature matrix and config checks."""

import copy

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from snakemake.utils import validate

from mimicry import epochs, features
from mimicry.names import REACTIONS

from conftest import REPO, load_config
from test_epochs import STIMULI, WINDOWS, smile_study


def reactions_of(pid: str, peak: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The smile study of test_epochs with the happy face's joy peak at ``peak`` and the neutral face at 20."""
    frames = smile_study().assign(participant_id=pid)
    frames["joy"] = frames["joy"] * peak / 85.0
    return epochs.participant_reactions(
        frames, STIMULI.assign(participant_id=pid), pre_blank_ms=1000.0, post_blank_ms=2000.0, baseline="none",
        min_coverage=0.5, windows=WINDOWS, timecourse_reactions=["joy"], bin_ms=100.0,
    )


@pytest.fixture
def per_participant(tmp_path):
    paths = {}
    for pid, peak in (("p1", 85.0), ("p2", 40.0), ("p3", 60.0)):
        reactions, timecourse = reactions_of(pid, peak)
        paths[pid] = tmp_path / f"{pid}.parquet", tmp_path / f"{pid}.tc.parquet"
        epochs.write_parquet(reactions, paths[pid][0], epochs.REACTION_SCHEMA)
        epochs.write_parquet(timecourse, paths[pid][1], epochs.TIMECOURSE_SCHEMA)
    return paths


def test_usable_participants_exclude_bad_grades():
    quality = pd.DataFrame({"participant_id": ["p1", "p2", "p3", "p4"], "final_grade": [0, 2, 0, 1]})
    assert features.usable_participants(quality, 0) == ["p1", "p3"]
    assert features.usable_participants(quality, 1) == ["p1", "p3", "p4"]


def test_combine_streams_the_chosen_files_into_one(tmp_path, per_participant):
    dest = tmp_path / "reactions.parquet"
    rows = features.combine_parquet([per_participant[p][0] for p in ("p1", "p3")], dest, epochs.REACTION_SCHEMA)
    combined = pq.read_table(dest)
    assert combined.schema == epochs.REACTION_SCHEMA and combined.num_rows == rows
    assert pq.ParquetFile(dest).num_row_groups == 2
    expected = pd.concat([pd.read_parquet(per_participant[p][0]) for p in ("p1", "p3")], ignore_index=True)
    pd.testing.assert_frame_equal(combined.to_pandas(), expected)


def test_combine_nothing_gives_an_empty_table_with_the_schema(tmp_path):
    dest = tmp_path / "empty.parquet"
    assert features.combine_parquet([], dest, epochs.TIMECOURSE_SCHEMA) == 0
    assert pq.read_table(dest).schema == epochs.TIMECOURSE_SCHEMA


@pytest.mark.parametrize("combine", ["max_of_max", "mean_of_max"])
def test_feature_matrix_matches_an_independent_pivot(tmp_path, per_participant, combine):
    dest = tmp_path / "reactions.parquet"
    features.combine_parquet([per_participant[p][0] for p in ("p1", "p2", "p3")], dest, epochs.REACTION_SCHEMA)
    matrix = features.feature_matrix(dest, combine, ["full", "early"], "full").set_index("participant_id")
    assert list(matrix.index) == ["p1", "p2", "p3"]
    assert list(matrix.columns) == [*REACTIONS, *(f"{r}_early" for r in REACTIONS)]
    # hand-worked: the happy face's joy max is the peak, the neutral face 20 * peak / 85, the angry face NaN
    # (face for 40% of its frames); the other reactions stay at 5 wherever there is enough face.
    for pid, peak in (("p1", 85.0), ("p2", 40.0), ("p3", 60.0)):
        maxima = [peak, 20 * peak / 85]
        assert matrix.loc[pid, "joy"] == pytest.approx(max(maxima) if combine == "max_of_max" else np.mean(maxima))
        assert matrix.loc[pid, "brow_furrow"] == pytest.approx(5.0)
    long = pd.read_parquet(dest)
    early = long[long["window"] == "early"].pivot_table(
        index="participant_id", columns="reaction", values="max", aggfunc="max" if combine == "max_of_max" else "mean"
    )
    for reaction in REACTIONS:
        np.testing.assert_allclose(matrix[f"{reaction}_early"], early.loc[matrix.index, reaction])


def test_config_problems():
    config = load_config()

    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    assert features.config_problems(config) == []
    bad = copy.deepcopy(config)
    bad["quality"]["mouth"] = ["lips"]
    bad["quality"]["limits"]["longest_gap_ms"] = {"minor": 3000, "major": 1000}
    bad["epochs"]["windows"].append({"name": "early", "start_ms": 500, "end_ms": 400})
    bad["features"]["window"] = "late"
    problems = "\n".join(features.config_problems(bad))
    assert "quality.mouth: unknown reaction(s) lips" in problems
    assert "quality.limits.longest_gap_ms: limits must not decrease" in problems
    assert "window names must be unique" in problems and "window early ends (400 ms) before it starts (500 ms)" in problems
    assert "features.window: 'late' is not one of epochs.windows" in problems
