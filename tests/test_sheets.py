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


READERS = {"participants": sheets.read_participants, "eq_responses": sheets.read_eq_responses,
           "stimuli": sheets.read_stimuli}
#: One bad edit of one sheet each: (sheet, edit of its text table, what the error must say).
BAD_SHEETS = {
    "missing_required_column": ("participants", lambda df: df.drop(columns="gender", inplace=True),
                                "missing required column.*gender"),
    "duplicate_ids": ("participants", lambda df: df.loc.__setitem__((1, "participant_id"), df.loc[0, "participant_id"]),
                      "demo001 appears on lines 2, 3"),
    "bad_glasses_value": ("participants", lambda df: df.loc.__setitem__((0, "glasses"), "sometimes"),
                          r"line 2 \(participant demo001\), column glasses: value 'sometimes'"),
    "eq_answer_outside_labels": ("eq_responses", lambda df: df.loc.__setitem__((1, "q7"), "agree"),
                                 r"participant demo002\), column q7: value 'agree'.*strongly agree"),
    "eq_missing_item_column": ("eq_responses", lambda df: df.drop(columns="q60", inplace=True),
                               "missing required column.*q60"),
    "overlapping_stimuli": ("stimuli", lambda df: df.loc.__setitem__((1, "onset_ms"), str(float(df.loc[0, "onset_ms"]) + 10)),
                            "starts at .* before .* ends at"),
    "unknown_stimulus_emotion": ("stimuli", lambda df: df.loc.__setitem__((3, "stimulus_emotion"), "bored"),
                                 r"line 5 .*stimulus_emotion.*expected one of afraid"),
}


@pytest.mark.parametrize("case", BAD_SHEETS)
def test_a_bad_sheet_is_rejected_naming_where(study, case):
    sheet, change, message = BAD_SHEETS[case]
    edit(study[sheet], change)
    with pytest.raises(sheets.SheetError, match=message):
        READERS[sheet](study[sheet])


@pytest.mark.parametrize("bad_id", ["p 1", "../evil", "a/b"])
def test_ids_with_spaces_or_path_characters(study, bad_id):
    edit(study["participants"], lambda df: df.loc.__setitem__((2, "participant_id"), bad_id))
    with pytest.raises(sheets.SheetError, match=r"line 4 .*column participant_id"):
        sheets.read_participants(study["participants"])


def test_eq_labels_are_case_and_space_insensitive(study):
    edit(study["eq_responses"], lambda df: df.loc.__setitem__((1, "q7"), "  Strongly   AGREE "))
    eq = sheets.read_eq_responses(study["eq_responses"])
    assert eq.loc[1, "q7"] == "strongly agree"


def test_unknown_participant_in_other_sheet(study):
    edit(study["stimuli"], lambda df: df.loc.__setitem__((0, "participant_id"), "stranger"))
    participants = sheets.read_participants(study["participants"])
    stimuli = sheets.read_stimuli(study["stimuli"])
    with pytest.raises(sheets.SheetError, match="stranger are not in participants.tsv"):
        sheets.check_references(participants, stimuli, study["stimuli"])


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
