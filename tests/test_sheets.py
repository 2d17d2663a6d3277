"""Sheet validation: each kind of bad sheet is rejected with a message naming file, line and column."""

import pandas as pd
import pytest

from mimicry import sheets
from mimicry.simulate.cohort import generate_cohort

from conftest import load_config


@pytest.fixture
def study(tmp_path):
    """A valid generated study written as TSV files; returns their paths."""
    demo = load_config()["demo"]
    tables = generate_cohort(4, 1, demo["cohort"], demo["protocol"])
    paths = {}
    for name, table in zip(("participants", "eq_responses", "stimuli"), tables):
        paths[name] = tmp_path / f"{name}.tsv"
        table.to_csv(paths[name], sep="\t", index=False)
    return paths


def edit(path, fn):
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(path, sep="\t", index=False)


def test_valid_sheets_load(study):
    participants = sheets.read_participants(study["participants"])
    assert participants["glasses"].dtype == bool and len(participants) == 4
    eq = sheets.read_eq_responses(study["eq_responses"])
    stimuli = sheets.read_stimuli(study["stimuli"])
    assert len(stimuli) == 4 * 28
    sheets.check_references(participants, eq, study["eq_responses"])
    sheets.check_references(participants, stimuli, study["stimuli"])


def test_missing_file(tmp_path):
    with pytest.raises(sheets.SheetError, match="file not found"):
        sheets.read_participants(tmp_path / "nope.tsv")


def test_comma_separated_sheet(study):
    df = pd.read_csv(study["participants"], sep="\t")
    df.to_csv(study["participants"], index=False)
    with pytest.raises(sheets.SheetError, match="comma-separated"):
        sheets.read_participants(study["participants"])


def test_missing_required_column(study):
    edit(study["participants"], lambda df: df.drop(columns="gender", inplace=True))
    with pytest.raises(sheets.SheetError, match="missing required column.*gender"):
        sheets.read_participants(study["participants"])


def test_duplicate_ids(study):
    edit(study["participants"], lambda df: df.loc.__setitem__((1, "participant_id"), df.loc[0, "participant_id"]))
    with pytest.raises(sheets.SheetError, match="demo001 appears on lines 2, 3"):
        sheets.read_participants(study["participants"])


@pytest.mark.parametrize("bad_id", ["p 1", "../evil", "a/b"])
def test_ids_with_spaces_or_path_characters(study, bad_id):
    edit(study["participants"], lambda df: df.loc.__setitem__((2, "participant_id"), bad_id))
    with pytest.raises(sheets.SheetError, match=r"line 4 .*column participant_id"):
        sheets.read_participants(study["participants"])


def test_bad_glasses_value_names_line_and_column(study):
    edit(study["participants"], lambda df: df.loc.__setitem__((0, "glasses"), "sometimes"))
    with pytest.raises(sheets.SheetError, match=r"line 2 \(participant demo001\), column glasses: value 'sometimes'"):
        sheets.read_participants(study["participants"])


def test_eq_answer_outside_labels(study):
    edit(study["eq_responses"], lambda df: df.loc.__setitem__((1, "q7"), "agree"))
    with pytest.raises(sheets.SheetError, match=r"participant demo002\), column q7: value 'agree'.*strongly agree"):
        sheets.read_eq_responses(study["eq_responses"])


def test_eq_labels_are_case_and_space_insensitive(study):
    edit(study["eq_responses"], lambda df: df.loc.__setitem__((1, "q7"), "  Strongly   AGREE "))
    eq = sheets.read_eq_responses(study["eq_responses"])
    assert eq.loc[1, "q7"] == "strongly agree"


def test_eq_missing_item_column(study):
    edit(study["eq_responses"], lambda df: df.drop(columns="q60", inplace=True))
    with pytest.raises(sheets.SheetError, match="missing required column.*q60"):
        sheets.read_eq_responses(study["eq_responses"])


def test_unknown_participant_in_other_sheet(study):
    edit(study["stimuli"], lambda df: df.loc.__setitem__((0, "participant_id"), "stranger"))
    participants = sheets.read_participants(study["participants"])
    stimuli = sheets.read_stimuli(study["stimuli"])
    with pytest.raises(sheets.SheetError, match="stranger are not in participants.tsv"):
        sheets.check_references(participants, stimuli, study["stimuli"])


def test_overlapping_stimuli(study):
    edit(study["stimuli"], lambda df: df.loc.__setitem__((1, "onset_ms"), str(float(df.loc[0, "onset_ms"]) + 10)))
    with pytest.raises(sheets.SheetError, match="starts at .* before .* ends at"):
        sheets.read_stimuli(study["stimuli"])


def test_unknown_stimulus_emotion(study):
    edit(study["stimuli"], lambda df: df.loc.__setitem__((3, "stimulus_emotion"), "bored"))
    with pytest.raises(sheets.SheetError, match=r"line 5 .*stimulus_emotion.*expected one of afraid"):
        sheets.read_stimuli(study["stimuli"])


def test_non_utf8_text(study):
    lines = study["participants"].read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"\t", b"\t\xe9", 1)  # a Latin-1 e-acute in the first data row
    study["participants"].write_bytes(b"\n".join(lines))
    with pytest.raises(sheets.SheetError, match="line 2 is not valid UTF-8"):
        sheets.read_participants(study["participants"])


@pytest.mark.parametrize("content", ["", "participant_id\tgender\tage_band\tethnicity\tglasses\n"])
def test_empty_sheet(tmp_path, content):
    path = tmp_path / "participants.tsv"
    path.write_text(content)
    with pytest.raises(sheets.SheetError, match="empty|no data rows"):
        sheets.read_participants(path)
