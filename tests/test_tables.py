"""Readers of the participant-keyed tables: participant_id stays the text written (``007``, ``NA``)."""

import pandas as pd
import pytest

from mimicry import tables
from mimicry.analysis import data

IDS = ["007", "NA", "12"]


@pytest.mark.parametrize("reader", [tables.read_eq_scores, tables.read_quality, tables.read_keyed])
def test_tsv_ids_stay_text(tmp_path, reader):
    path = tmp_path / "t.tsv"
    path.write_text("participant_id\teq_score\n007\t41\nNA\t\n12\t50.5\n")
    table = reader(path)
    assert list(table["participant_id"]) == IDS and table["eq_score"].isna().tolist() == [False, True, False]


def test_parquet_ids_stay_text_and_eq_keeps_the_scored(tmp_path):
    frame = pd.DataFrame({"participant_id": IDS, "time_ms": [0.0, 100, 200], "value": [1.0, 2, 3]})
    frame.to_parquet(tmp_path / "t.parquet")
    assert list(tables.read_timecourses(tmp_path / "t.parquet")["participant_id"]) == IDS
    (tmp_path / "eq.tsv").write_text("participant_id\teq_score\tstatus\n007\t41\tok\nNA\t\tmissing_items: 1\n")
    assert data.read_eq(tmp_path / "eq.tsv").to_dict("list") == {"participant_id": ["007"], "eq_score": [41.0]}
