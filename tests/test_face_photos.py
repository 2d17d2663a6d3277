"""The labelled photos as a new user would run them: each photo recorded as a 3-second still "participant"
(no neutral frames anywhere) and run through the workflow; the absolute scores must find the expressions."""

import cv2
import pandas as pd
import pytest
from conftest import pyfeat_media
from face_validation import PHOTOS, pair_hits
from test_extract import face_models, run_study, write_study  # noqa: F401 (face_models: a fixture)

from mimicry.names import EMOTIONS, EXPRESSIONS

FPS, SECONDS = 15, 3


def still_recording(photo, path) -> None:
    """``photo`` shown for SECONDS at FPS as an mp4 (mp4v), at its own size (even sides)."""
    image = cv2.imread(str(photo))
    h, w = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (w, h))
    for _ in range(FPS * SECONDS):
        writer.write(image[:h, :w])
    writer.release()


@pytest.mark.workflow
def test_photos_as_still_recordings_through_the_workflow(tmp_path, face_models):  # noqa: F811 (the fixture)
    """Goal of issue 13: at least 14 of the 17 expected pairs (own photo highest and >= 10) and the top
    emotion right on at least 4 of the 5 photos. Measured when written: 14 of 17 (the three disgust pairs
    fail: a head turned about 45 degrees with closed lips) and 4 of 5."""
    ids = {name: f"photo{i}" for i, name in enumerate(PHOTOS)}
    for name, pid in ids.items():
        still_recording(pyfeat_media(name), tmp_path / f"{pid}.mp4")
    config = write_study(tmp_path, [{"participant_id": pid, "video": str(tmp_path / f"{pid}.mp4")} for pid in ids.values()])
    run_study(tmp_path, config, face_models, *(f"results/frames/{pid}.parquet" for pid in ids.values()))
    scores = pd.DataFrame({name: pd.read_parquet(tmp_path / f"results/frames/{pid}.parquet")
                           [list(EXPRESSIONS) + list(EMOTIONS)].median() for name, pid in ids.items()}).T
    assert scores.notna().all().all()
    hits = pair_hits(scores)
    assert sum(hit for _, _, hit, _ in hits) >= 14, [h for h in hits if not h[2]]
    top = sum(scores.loc[name, list(EMOTIONS)].idxmax() == match for name, (_, match, _) in PHOTOS.items())
    assert top >= 4
