"""Streaming video decoding with the container's own timestamps.

A webcam recording is read one frame at a time with OpenCV's FFmpeg backend and never held in memory.
Each frame comes with its index in the decoded stream and its presentation time in milliseconds as the
container states it (``cv2.CAP_PROP_POS_MSEC``), not ``index / fps``: webcam files often have a
variable frame rate, and only the container's timestamps line frames up with the stimulus log.
A file whose first frames carry an edit-list offset can start at a small negative time; times are kept
as the container gives them.

Rotation metadata (phone recordings: the track's display matrix, ffmpeg's ``rotate`` tag) is honoured:
frames come out upright. Frames can be strided and downscaled on the way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple

import cv2
import numpy as np

#: A file whose decoding stops before this fraction of the container's frame count is reported as
#: truncated. The count in the header is an estimate for some files (a few frames too many), so
#: the check allows a small shortfall.
MIN_DECODED_FRACTION = 0.95

_ROTATIONS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


class VideoError(RuntimeError):
    """A video cannot be read: missing, empty, not a video, truncated or corrupt."""


class Frame(NamedTuple):
    """One decoded frame: ``index`` (0-based, counted before any stride), ``time_ms`` (container
    presentation time, ms) and ``rgb`` (H x W x 3 uint8, upright)."""

    index: int
    time_ms: float
    rgb: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, and the size frames are delivered at.

    ``width``/``height`` are of the delivered frames (after rotation and downscaling), in pixels;
    ``source_width``/``source_height`` are the coded size; ``fps`` is the nominal frame rate (frames/s,
    informative only: timestamps come from the container); ``frame_count`` the container's frame count
    (an estimate for some files); ``rotation`` the clockwise display rotation in degrees (0, 90, 180, 270).
    """

    path: str
    width: int
    height: int
    source_width: int
    source_height: int
    fps: float
    frame_count: int
    rotation: int


def _describe(path: Path, participant: str | None) -> str:
    return f"participant {participant}: video {path}" if participant else f"video {path}"


def _output_size(width: int, height: int, rotation: int, max_side: int | None) -> tuple[int, int, float]:
    """(width, height, scale) of delivered frames: scaled so the longer side is at most ``max_side``."""
    scale = min(1.0, max_side / max(width, height)) if max_side else 1.0
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    return (h, w, scale) if rotation in (90, 270) else (w, h, scale)


#: Leading bytes of still-image formats FFmpeg opens as a one-frame "video".
IMAGE_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF8": "GIF", b"BM": "BMP",
                    b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


def _still_image_kind(path: Path) -> str | None:
    """The image format whose signature starts the file (whatever its name), else None."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((kind for magic, kind in IMAGE_SIGNATURES.items() if head.startswith(magic)), None)


class VideoReader:
    """Decode a video file frame by frame: ``for frame in VideoReader(path): ...`` yields :class:`Frame`.

    Parameters
    ----------
    path : the video file.
    participant : named in error messages (optional).
    stride : deliver every ``stride``-th frame (1 = all); skipped frames are grabbed, not converted.
    max_side : downscale frames whose longer side exceeds this many pixels (None = full size).
    threads : FFmpeg decoding threads (1 keeps a job on its own core).

    Raises :class:`VideoError` naming the participant and file when the file is missing, empty, cannot
    be opened as a video, yields no frame, or ends well before the container's frame count (truncated
    or corrupt; raised when the iteration reaches the end, so a partial output can be discarded).
    Use as a context manager, or call :meth:`close`, to release the decoder.
    """

    def __init__(self, path, participant: str | None = None, stride: int = 1, max_side: int | None = None,
                 threads: int = 1):
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        self.path = Path(path)
        self.participant = participant
        self.stride = stride
        what = _describe(self.path, participant)
        if not self.path.is_file():
            raise VideoError(f"{what}: file not found. Check the participants sheet's video column or study.videos.")
        if os.path.getsize(self.path) == 0:
            raise VideoError(f"{what}: the file is empty (0 bytes); the recording was not saved.")
        image = _still_image_kind(self.path)
        if image:
            raise VideoError(f"{what}: is a still image ({image}), not a recording; FFmpeg would read it as a "
                             "one-frame video. Give the participant's webcam recording.")
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, int(threads)])
        if not self._cap.isOpened():
            raise VideoError(
                f"{what}: cannot be opened as a video (not a video file, or truncated before the container "
                "index was written, e.g. a recording that was killed)."
            )
        # Rotation is applied here, after downscaling, with the same convention as OpenCV's own
        # auto-orientation (the display matrix's clockwise angle).
        self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        rotation = int(round(self._cap.get(cv2.CAP_PROP_ORIENTATION_META))) % 360
        src_w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        src_h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        width, height, self._scale = _output_size(src_w, src_h, rotation, max_side)
        self.info = VideoInfo(
            path=str(self.path), width=width, height=height, source_width=src_w, source_height=src_h,
            fps=float(self._cap.get(cv2.CAP_PROP_FPS)), frame_count=int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            rotation=rotation,
        )
        self._size = (round(src_w * self._scale), round(src_h * self._scale))

    def _convert(self, bgr: np.ndarray) -> np.ndarray:
        if self._scale < 1.0:
            bgr = cv2.resize(bgr, self._size, interpolation=cv2.INTER_AREA)
        if self.info.rotation in _ROTATIONS:
            bgr = cv2.rotate(bgr, _ROTATIONS[self.info.rotation])
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        while self._cap.grab():
            if index % self.stride == 0:
                time_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
                ok, bgr = self._cap.retrieve()
                if not ok:
                    raise VideoError(f"{_describe(self.path, self.participant)}: frame {index} cannot be decoded (corrupt).")
                yield Frame(index, float(time_ms), self._convert(bgr))
            index += 1
        self._check_complete(index)

    def _check_complete(self, decoded: int) -> None:
        what = _describe(self.path, self.participant)
        if decoded == 0:
            raise VideoError(f"{what}: no frame could be decoded (corrupt or not a video).")
        expected = self.info.frame_count
        if expected > 0 and decoded < MIN_DECODED_FRACTION * expected:
            raise VideoError(
                f"{what}: truncated or corrupt: decoding stopped after {decoded} of the {expected} frames "
                "the container announces. Re-export or re-copy the recording."
            )

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
