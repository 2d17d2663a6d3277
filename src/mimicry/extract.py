"""Per-participant extraction: one webcam recording -> results/landmarks/{participant}.parquet, streamed.

The video is decoded once, frame by frame (:mod:`mimicry.video`); frames go to the face analyzer
(:class:`mimicry.face.analyzer.FaceAnalyzer`: Face Landmarker landmarks, alignment, head pose, the emotion
network) in batches of ``batch_size``; results are written as Parquet row groups of about
``row_group_frames`` rows as they come. Memory is bounded by one batch of frames plus one row group,
whatever the video's length. The Parquet file is written to a temporary name and renamed only when
complete, so a killed job never leaves a file that looks finished.

The cheap second step, landmarks -> blendshapes -> expressions and emotions in results/frames/{participant}.parquet,
is :func:`frames_from_landmarks`; engine exports take the place of both through :mod:`mimicry.importers`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import queue
import threading
import time
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mimicry.io import atomic_path
from mimicry.names import FRAME_COLUMNS, OPTIONAL_FRAME_COLUMNS
from mimicry.video import Frame, VideoError, VideoReader

log = logging.getLogger(__name__)

#: Parquet key-value metadata key holding a JSON object (source video, sizes, settings, error).
METADATA_KEY = b"mimicry"
ON_ERROR = ("fail", "empty")


def set_threads(threads: int) -> None:
    """Make OpenCV and PyTorch use ``threads`` threads (the Snakemake rule's ``threads``)."""
    import cv2
    import torch

    cv2.setNumThreads(threads)
    torch.set_num_threads(threads)


def read_metadata(path) -> dict:
    """The ``mimicry`` metadata of a landmarks or frames Parquet file ({} if none).

    An empty-with-reason result (config extraction.on_error: empty) has ``"error"``: the reason.
    """
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[METADATA_KEY]) if METADATA_KEY in meta else {}


def parquet_options(schema: pa.Schema) -> dict:
    """Writer options of the per-frame Parquet files: zstd, dictionary encoding for the string columns only
    (on the float columns, meshes above all, it cost 5x the writing time for a larger file)."""
    return {"compression": "zstd", "use_dictionary": [f.name for f in schema if pa.types.is_string(f.type)]}


def _with_metadata(schema: pa.Schema, metadata: dict) -> pa.Schema:
    return schema.with_metadata({METADATA_KEY: json.dumps(metadata, sort_keys=True, default=str)})


def batched(frames: Iterable[Frame], size: int) -> Iterator[list[Frame]]:
    """Consecutive lists of ``size`` frames (the last may be shorter)."""
    batch = []
    for frame in frames:
        batch.append(frame)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def prefetched(items: Iterable, ahead: int = 1) -> Iterator:
    """Iterate ``items`` in a background thread, at most ``ahead`` items ahead of the consumer.

    Decoding (FFmpeg releases the GIL) then overlaps the analysis of the previous batch; memory stays
    bounded by ``ahead`` + 1 items. An exception in the producer is raised in the consumer; when the
    consumer stops early, the producer is stopped and joined before this generator returns.
    """
    slots, stop, end = queue.Queue(maxsize=ahead), threading.Event(), object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(end)
        except BaseException as err:  # handed to the consumer
            put(err)

    worker = threading.Thread(target=produce, name="decode", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


class Progress:
    """Logs 'participant: done/total frames (pct), fps, ETA' after the first batch, then at most every
    ``every_s`` seconds."""

    def __init__(self, participant: str, total: int, every_s: float = 5.0, clock=time.monotonic):
        self.participant, self.total, self.every_s, self.clock = participant, total, every_s, clock
        self.start = clock()
        self.last = self.start - every_s  # the first update logs
        self.done = 0

    def line(self) -> str:
        elapsed = max(self.clock() - self.start, 1e-9)
        fps = self.done / elapsed
        eta = (self.total - self.done) / fps if fps > 0 and self.total > self.done else 0.0
        pct = f" ({100 * self.done / self.total:.1f}%)" if self.total else ""
        return (f"{self.participant}: {self.done}/{self.total or '?'} frames{pct}, {fps:.1f} fps, "
                f"elapsed {elapsed:.0f} s, ETA {eta:.0f} s")

    def update(self, n: int) -> None:
        self.done += n
        if self.clock() - self.last >= self.every_s:
            self.last = self.clock()
            log.info(self.line())


def _without_null_lists(column: pa.Array) -> pa.Array:
    """A fixed-size list column with its null entries made non-null (keeping the values beneath, NaN).

    Parquet (pyarrow <= 25) cannot round-trip null fixed-size lists: writing fails or reading back
    raises "Expected all lists to be of size=...". Frames without a face therefore store a NaN mesh;
    the ``face`` column says which frames have one.
    """
    if not pa.types.is_fixed_size_list(column.type) or column.null_count == 0:
        return column
    size = column.type.list_size
    return pa.FixedSizeListArray.from_arrays(column.values.slice(column.offset * size, len(column) * size), size)


def _keyed(record: pa.RecordBatch, participant: str, frames: list[Frame], schema: pa.Schema) -> pa.RecordBatch:
    """The analyzer's batch with participant_id, frame and time_ms in front, ready for Parquet."""
    keys = [
        pa.array([participant] * len(frames), pa.string()),
        pa.array([f.index for f in frames], pa.int64()),
        pa.array([f.time_ms for f in frames], pa.float64()),
    ]
    return pa.RecordBatch.from_arrays(keys + [_without_null_lists(c) for c in record.columns], schema=schema)


def torch_device(device: str = "auto") -> str:
    """The torch device to use: "cuda" or "cpu" as given, "auto" picks CUDA when it is available."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def extract_landmarks(video, out, models_dir, participant: str, *, stride: int = 1, max_side: int | None = None,
                      batch_size: int = 32, row_group_frames: int = 1024, threads: int = 1,
                      on_error: str = "fail", progress_every_s: float = 5.0, device: str = "auto",
                      fer: bool = False) -> dict:
    """Decode ``video`` and write its per-frame face records to ``out`` (Parquet, LANDMARK_SCHEMA).

    One row per decoded (strided) frame: participant_id, frame (0-based index before stride), time_ms
    (container timestamp, ms), then the analyzer's columns (``mesh`` is NaN-filled, not null, where
    ``face`` is false: Parquet cannot store null fixed-size lists). ``models_dir`` holds the analyzer's model
    files. ``stride`` keeps every n-th frame; ``max_side`` downscales frames to at most that many pixels
    on the longer side. ``threads`` sets OpenCV, FFmpeg and PyTorch threads. ``fer`` runs the FER2013 emotion
    network (fer_* columns; NaN without it), on ``device`` "cpu", "cuda", or "auto" (CUDA when the node has it).

    A :class:`mimicry.video.VideoError` (missing, empty, unreadable, truncated video) is raised when
    ``on_error`` is "fail"; with "empty" a zero-row file is written whose metadata holds the reason
    (``read_metadata(out)["error"]``). Returns the metadata written plus ``frames``, ``seconds`` (wall
    time of the streaming, after the decoder and the models are loaded) and ``cpu_seconds`` (CPU time of
    the process over the same span, all threads).

    Decoding runs one batch ahead in a background thread (:func:`prefetched`), overlapping the analysis.
    """
    from mimicry.face.analyzer import LANDMARK_SCHEMA, FaceAnalyzer

    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    set_threads(threads)
    settings = {"participant_id": participant, "video": str(video), "stride": stride, "max_side": max_side,
                "batch_size": batch_size, "threads": threads, "fer": fer}
    done, seconds, cpu_seconds = 0, 0.0, 0.0
    try:
        with VideoReader(video, participant, stride=stride, max_side=max_side, threads=threads) as reader, \
                FaceAnalyzer(models_dir, device=torch_device(device), threads=threads, fer=fer) as analyzer, atomic_path(out) as tmp:
            info = reader.info
            meta = {**settings, "width": info.width, "height": info.height, "source_width": info.source_width,
                    "source_height": info.source_height, "fps": info.fps, "frame_count": info.frame_count,
                    "rotation": info.rotation}
            schema = _with_metadata(LANDMARK_SCHEMA, meta)
            progress = Progress(participant, math.ceil(info.frame_count / stride), progress_every_s)
            cpu_start = time.process_time()
            pending = []
            with pq.ParquetWriter(tmp, schema, **parquet_options(schema)) as writer, \
                    contextlib.closing(prefetched(batched(reader, batch_size))) as batches:
                for frames in batches:
                    record = analyzer.analyze([f.rgb for f in frames])
                    pending.append(_keyed(record, participant, frames, schema))
                    progress.update(len(frames))
                    if sum(len(b) for b in pending) >= row_group_frames:
                        writer.write_table(pa.Table.from_batches(pending))
                        pending = []
                if pending:
                    writer.write_table(pa.Table.from_batches(pending))
            done, seconds = progress.done, time.monotonic() - progress.start
            cpu_seconds = time.process_time() - cpu_start
    except VideoError as err:
        if on_error == "fail":
            raise
        log.error("%s; writing an empty result (extraction.on_error: empty)", err)
        meta = {**settings, "error": str(err)}
        with atomic_path(out) as tmp:
            pq.write_table(pa.Table.from_batches([], schema=_with_metadata(LANDMARK_SCHEMA, meta)), tmp)
    log.info("%s: %d frames in %.1f s (%.1f fps; CPU %.1f s, all threads)", participant, done, seconds,
             done / max(seconds, 1e-9), cpu_seconds)
    return {**meta, "frames": done, "seconds": seconds, "cpu_seconds": cpu_seconds}


def frame_table(frames: pd.DataFrame) -> pd.DataFrame:
    """``frames`` reduced to FRAME_COLUMNS (plus the OPTIONAL_FRAME_COLUMNS present) with the frame schema's dtypes.

    participant_id str, frame int64, time_ms float64 (ms), face bool, everything else float64
    (scores 0-100, face_score 0-1, pose degrees, lower_face_changed 0-1). Raises ValueError naming missing columns.
    """
    missing = [c for c in FRAME_COLUMNS if c not in frames.columns]
    if missing:
        raise ValueError(f"frame table lacks columns {missing}")
    columns = list(FRAME_COLUMNS) + [c for c in OPTIONAL_FRAME_COLUMNS if c in frames.columns]
    out = frames[columns].copy()
    out["participant_id"] = out["participant_id"].astype(str)
    out["frame"] = out["frame"].astype(np.int64)
    out["face"] = out["face"].astype(bool)
    floats = [c for c in columns if c not in ("participant_id", "frame", "face", "stimulus")]
    out[floats] = out[floats].astype(np.float64)
    return out.reset_index(drop=True)


def write_frames(frames: pd.DataFrame, path, metadata: dict) -> None:
    """Write a frame table (see :func:`frame_table`) to ``path`` atomically, with ``metadata`` (JSON)."""
    table = pa.Table.from_pandas(frame_table(frames), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(metadata, sort_keys=True, default=str)})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **parquet_options(table.schema))


def empty_frames() -> pd.DataFrame:
    """A zero-row frame table."""
    return pd.DataFrame({c: pd.Series(dtype=float) for c in FRAME_COLUMNS})


def frames_from_landmarks(landmarks_path, stimuli: pd.DataFrame, models_dir, out, *,
                      emotion_source: str = "expressions", neutral_correction: bool = False) -> pd.DataFrame:
    """results/landmarks/{p}.parquet + that participant's stimulus rows -> results/frames/{p}.parquet.

    Scores (0-100) from :func:`mimicry.face.scorer.score_landmarks`: absolute per frame, or with
    ``neutral_correction`` relative to the neutral frames of :func:`mimicry.face.reference.neutral_mask`
    (with the meshes, for its fallback when the stimulus log has no neutral periods). An
    empty-with-reason landmarks file gives an empty frames file carrying the same ``error``. Returns the
    frame table written.
    """
    from mimicry.face.reference import neutral_mask
    from mimicry.face.scorer import mesh_matrix, score_landmarks

    meta = read_metadata(landmarks_path)
    if "error" in meta:
        frames = empty_frames()
    else:
        landmarks = pd.read_parquet(landmarks_path)
        neutral = None
        if neutral_correction:
            neutral = neutral_mask(landmarks["time_ms"].to_numpy(), stimuli, mesh=mesh_matrix(landmarks))
        frames = score_landmarks(landmarks, models_dir, neutral=neutral, emotion_source=emotion_source)
    write_frames(frames, out, {**meta, "frames_source": "video", "models_dir": str(models_dir),
                               "emotion_source": emotion_source, "neutral_correction": neutral_correction})
    return frames
