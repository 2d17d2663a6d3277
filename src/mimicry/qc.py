"""What a researcher looks at to trust a grade: a quality-control page per participant (results/qc/{p}.png)
and, on demand, the recording annotated with the mesh and live expression bars (results/qc/{p}.mp4).

The page: the congruent emotions' scores (0-100) over the whole recording with every stimulus shaded by its
emotion and labelled; face presence, face score and the changed fraction of the lower face; the frames each quality problem flags;
the grade and its reasons; and a strip of frames (the peak congruent responses and the flagged problems)
with the Face Landmarker mesh drawn. Only the frames shown are read from the video (seek), and their
landmarks are found again on those frames alone. Times on the page are seconds from the recording's start.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from mimicry import plots
from mimicry.analysis.mimicry_index import CONGRUENT_PAIRS
from mimicry.io import atomic_path
from mimicry.names import EXPRESSIONS, display_name
from mimicry.quality import covered_frames, mouth_moving

plt = plots.plt

#: Shading of each stimulus emotion, and the colour of its congruent reaction's trace.
EMOTION_COLOURS = {"happy": "#e6b800", "angry": "#d62728", "afraid": "#9467bd", "disgusted": "#2ca02c",
                   "sad": "#1f77b4", "surprised": "#ff7f0e", "neutral": "#7f7f7f"}
#: Frames in the strip: the peak congruent responses fill the places the flagged problems leave.
STRIP_FRAMES = 6
#: Height (pixels) of a thumbnail in the strip; the face's box is padded by this fraction of its size.
THUMB_PX = 260
FACE_PAD = 0.35
#: Opacity of the mesh's tessellation (its contours are opaque), so that the skin and a hand stay visible.
MESH_ALPHA = 0.3
#: In the strip's small thumbnails the tessellation would hide what covers the face: contours only.
STRIP_MESH_ALPHA = 0.0
#: Expressions drawn as live bars in the annotated video (the largest of the frame).
TOP_EXPRESSIONS = 5


def problem_frames(frames: pd.DataFrame, stimuli: pd.DataFrame, settings: dict) -> dict[str, pd.Series]:
    """Per quality problem, the frames it flags (boolean Series on ``frames``' index), as the grade sees them:

    - "face lost": frames without a face;
    - "low face score": face frames with face_score < ``occlusion_score``;
    - "mouth covered": face frames whose lower face changed by at least ``lower_face_covered``
      (mimicry.quality.covered_frames; absent when not measured, e.g. engine exports);
    - "mouth moving": face frames outside the stimuli whose mouth opens and closes at least
      ``mouth_min_cycles`` times within ``mouth_window_ms`` (mimicry.quality.mouth_moving; talking, eating).
    ``settings``: config ``quality`` (occlusion_score, lower_face_covered, mouth,
    mouth_window_ms, mouth_min_swing, mouth_min_cycles).
    """
    face = frames["face"]
    out = {"face lost": ~face, "low face score": face & (frames["face_score"] < settings["occlusion_score"])}
    covered = covered_frames(frames, settings["lower_face_covered"])
    if covered is not None:
        out["mouth covered"] = covered
    shown = np.zeros(len(frames), bool)
    for onset, duration in zip(stimuli["onset_ms"], stimuli["duration_ms"]):
        shown |= frames["time_ms"].between(onset, onset + duration, inclusive="left").to_numpy()
    moving = mouth_moving(frames["time_ms"].where(face), frames[settings["mouth"]].max(axis=1),
                          window_ms=settings["mouth_window_ms"], min_swing=settings["mouth_min_swing"],
                          min_cycles=settings["mouth_min_cycles"])
    out["mouth moving"] = face & ~shown & moving
    return out


def strip_rows(frames: pd.DataFrame, stimuli: pd.DataFrame, problems: dict[str, pd.Series]) -> list[tuple[int, str]]:
    """The strip's frames, in time order: (row of ``frames``, label). One frame per problem that flags any
    frame (the middle of its longest run), then the peak congruent responses of the stimuli with the largest
    peaks (the row at the peak), up to STRIP_FRAMES."""
    picks = []
    for name, flags in problems.items():
        run = _longest_run(flags.to_numpy(bool))
        if run is not None:
            picks.append((run, name))
    peaks = []
    for s in stimuli.itertuples():
        reaction = CONGRUENT_PAIRS.get(s.stimulus_emotion)
        during = frames["time_ms"].between(s.onset_ms, s.onset_ms + s.duration_ms, inclusive="left") & frames["face"]
        if reaction and during.any():
            row = int(np.flatnonzero(during)[np.argmax(frames.loc[during, reaction].to_numpy())])
            peaks.append((frames[reaction].iloc[row], row, f"peak {display_name(reaction)} {frames[reaction].iloc[row]:.0f}\nto {s.stimulus}"))
    peaks.sort(reverse=True)
    picks += [(row, label) for _, row, label in peaks[: max(STRIP_FRAMES - len(picks), 0)]]
    return sorted(picks[:STRIP_FRAMES])


def _longest_run(flags: np.ndarray) -> int | None:
    """Index of the middle of the longest run of True in ``flags``; None without one."""
    if not flags.any():
        return None
    edges = np.flatnonzero(np.diff(np.r_[0, flags.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    return int((starts[k] + ends[k] - 1) // 2)


def read_frames_at(video, indices) -> dict[int, np.ndarray]:
    """The RGB frames of ``video`` at the given 0-based frame indices, by seeking (no full decode)."""
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise OSError(f"{video}: cannot be opened as a video")
    out = {}
    try:
        for index in sorted(set(int(i) for i in indices)):
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = cap.read()
            if ok:
                out[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()
    return out


def draw_mesh(image: np.ndarray, landmarks: np.ndarray | None, thickness: int = 1, alpha: float = MESH_ALPHA) -> np.ndarray:
    """A copy of the RGB ``image`` with the face mesh drawn: the tessellation thin and ``alpha`` opaque (0: not
    drawn), the contours (eyes, brows, lips, face oval) in cyan. ``landmarks``: (478, 3) normalised; None draws
    nothing."""
    from mediapipe.python.solutions import face_mesh_connections as connections

    if landmarks is None:
        return image.copy()
    h, w = image.shape[:2]
    px = np.round(landmarks[:, :2] * (w, h)).astype(np.int32)

    def lines(edges):
        return list(np.array([[px[a], px[b]] for a, b in edges], np.int32))

    out = image.copy()
    if alpha > 0:
        mesh = cv2.polylines(image.copy(), lines(connections.FACEMESH_TESSELATION), False, (230, 230, 230), 1, cv2.LINE_AA)
        out = cv2.addWeighted(image, 1 - alpha, mesh, alpha, 0)
    return cv2.polylines(out, lines(connections.FACEMESH_CONTOURS), False, (0, 230, 255), thickness, cv2.LINE_AA)


def face_crop(image: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
    """The face's box padded by FACE_PAD (the whole image without a face), resized to THUMB_PX high."""
    if landmarks is not None:
        h, w = image.shape[:2]
        (x0, y0), (x1, y1) = landmarks[:, :2].min(0) * (w, h), landmarks[:, :2].max(0) * (w, h)
        pad = FACE_PAD * max(x1 - x0, y1 - y0)
        x0, y0 = int(max(x0 - pad, 0)), int(max(y0 - pad, 0))
        image = image[y0:int(min(y1 + pad, h)), x0:int(min(x1 + pad, w))]
    scale = THUMB_PX / image.shape[0]
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def meshed_frames(video, rows: list[int], frames: pd.DataFrame, models_dir) -> list[np.ndarray]:
    """Thumbnails of the video frames of ``rows`` (rows of ``frames``) with the mesh that the Face Landmarker
    finds on each frame alone; a frame the video cannot give is a grey tile."""
    from mimicry.face.analyzer import FaceAnalyzer

    indices = frames["frame"].iloc[rows].to_numpy()
    images = read_frames_at(video, indices)
    tiles = []
    for index in indices:
        image = images.get(int(index))
        if image is None:
            tiles.append(np.full((THUMB_PX, THUMB_PX, 3), 128, np.uint8))
            continue
        with FaceAnalyzer(models_dir) as analyzer:  # fresh: each frame is found on its own, not tracked
            landmarks, _ = analyzer.landmarks(image)
        thickness = max(1, round(image.shape[0] / 300))
        tiles.append(face_crop(draw_mesh(image, landmarks, thickness, STRIP_MESH_ALPHA), landmarks))
    return tiles


def qc_figure(participant: str, frames: pd.DataFrame, stimuli: pd.DataFrame, record: dict, settings: dict,
              tiles: list[np.ndarray] | None, rows: list[tuple[int, str]]):
    """The QC page (matplotlib figure, 16 x 11 in): traces, face, problems, grade, strip. ``record``: the
    participant's quality JSON; ``tiles``: the strip's thumbnails for ``rows`` (None: no video)."""
    t = frames["time_ms"].to_numpy(float) / 1000
    fig = plt.figure(figsize=(16, 11), layout="constrained")
    grid = fig.add_gridspec(4, max(len(rows), 1), height_ratios=[3.2, 1.3, 1.1, 2.6])
    traces, face, marks = (fig.add_subplot(grid[i, :]) for i in range(3))
    face.sharex(traces)
    marks.sharex(traces)
    reasons = record["reasons"] or ["all metrics within limits"]
    fig.suptitle(f"Participant {participant}: automatic grade {record['auto_grade']}\n" + "\n".join(reasons),
                 fontsize=13, ha="left", x=0.01)
    for ax in (traces, face, marks):
        for s in stimuli.itertuples():
            ax.axvspan(s.onset_ms / 1000, (s.onset_ms + s.duration_ms) / 1000, color=EMOTION_COLOURS.get(s.stimulus_emotion, "#cccccc"),
                       alpha=0.18, lw=0)
    for s in stimuli.itertuples():
        traces.text((s.onset_ms + s.duration_ms / 2) / 1000, 1.01, s.stimulus, ha="center", va="bottom", rotation=90,
                    fontsize=8, color=EMOTION_COLOURS.get(s.stimulus_emotion, "black"), transform=traces.get_xaxis_transform())
    for emotion, reaction in CONGRUENT_PAIRS.items():
        traces.plot(t, frames[reaction], color=EMOTION_COLOURS[emotion], lw=1.3, label=f"{display_name(reaction)} (to {emotion})")
    traces.plot(t, frames["mouth_open"], color="black", lw=0.8, ls=":", label="Mouth Open")
    traces.set(ylabel="score (0-100)", ylim=(0, 105))
    shown = [e for e in EMOTION_COLOURS if e in set(stimuli["stimulus_emotion"])]
    handles = traces.get_legend_handles_labels()[0] + [plt.Rectangle((0, 0), 1, 1, color=EMOTION_COLOURS[e], alpha=0.35) for e in shown]
    labels = traces.get_legend_handles_labels()[1] + [f"{e} face shown" for e in shown]
    traces.legend(handles, labels, loc="upper left", ncol=7, fontsize=9, bbox_to_anchor=(0, -0.04), frameon=False)
    traces.tick_params(labelbottom=False)
    face.plot(t, frames["face_score"], color="black", lw=1, label="face score (0-1)")
    face.fill_between(t, 0, 1, where=~frames["face"].to_numpy(bool), color="red", alpha=0.5, step="mid", label="no face")
    if "lower_face_changed" in frames:
        face.plot(t, frames["lower_face_changed"], color="#8c564b", lw=1, label="lower face changed (fraction)")
    face.axhline(settings["occlusion_score"], color="black", lw=0.6, ls="--")
    face.set(ylim=(-0.2, 1.5), ylabel="face")
    face.legend(loc="upper left", ncol=3, fontsize=9, frameon=False)
    face.tick_params(labelbottom=False)
    problems = problem_frames(frames, stimuli, settings)
    for k, (name, flags) in enumerate(problems.items()):
        marks.fill_between(t, k + 0.1, k + 0.9, where=flags.to_numpy(bool), color="red", step="mid", lw=0)
    marks.set(yticks=np.arange(len(problems)) + 0.5, ylim=(0, len(problems)), xlabel="time (s)")
    marks.set_yticklabels(list(problems), fontsize=9)
    for k, (row, label) in enumerate(rows, start=1):
        for ax in (traces, face, marks):
            ax.axvline(t[row], color="black", lw=0.8, alpha=0.6)
        traces.annotate(str(k), (t[row], 100), ha="center", va="center", fontsize=10, fontweight="bold",
                        bbox=dict(boxstyle="circle,pad=0.2", fc="white", ec="black"))
    for k, (row, label) in enumerate(rows):
        ax = fig.add_subplot(grid[3, k])
        ax.axis("off")
        if tiles is not None:
            ax.imshow(tiles[k])
        ax.set_title(f"{k + 1}: {t[row]:.1f} s, {label}", fontsize=10)
    return fig


def qc_page(participant: str, frames: pd.DataFrame, stimuli: pd.DataFrame, record: dict, settings: dict, out,
            video=None, models_dir=None) -> None:
    """Write the QC page PNG to ``out``, atomically; ``video`` (and ``models_dir``) give the strip's frames."""
    rows = strip_rows(frames, stimuli, problem_frames(frames, stimuli, settings)) if len(frames) else []
    tiles = meshed_frames(video, [r for r, _ in rows], frames, models_dir) if video is not None and rows else None
    fig = qc_figure(participant, frames, stimuli, record, settings, tiles, rows)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def expression_bars(image: np.ndarray, scores: pd.Series) -> None:
    """Draw, in place, the TOP_EXPRESSIONS largest of ``scores`` (expression -> 0-100) as labelled bars in
    the image's top-left corner, sized to the image."""
    h, w = image.shape[:2]
    line = max(12, h // 24)
    scale = line / 30
    top = scores.dropna().sort_values(ascending=False).iloc[:TOP_EXPRESSIONS]
    cv2.rectangle(image, (0, 0), (int(w * 0.42), line * (len(top) + 1)), (0, 0, 0), -1)
    for k, (name, value) in enumerate(top.items()):
        y = line * (k + 1)
        cv2.rectangle(image, (int(w * 0.2), y - int(line * 0.7)), (int(w * 0.2 + w * 0.2 * value / 100), y), (0, 230, 255), -1)
        cv2.putText(image, f"{display_name(name)[:14]} {value:.0f}", (2, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)


def annotated_video(video, frames: pd.DataFrame, out, models_dir, threads: int = 1) -> int:
    """Write ``video`` again to ``out`` (MP4, mp4v, the recording's frame rate and size), atomically, with the
    mesh the Face Landmarker tracks (as in extraction) and live bars of the frame's top expressions (from
    ``frames``, matched by frame index). Streams the video once. Returns the frames written."""
    from mimicry.face.analyzer import FaceAnalyzer
    from mimicry.video import VideoReader

    scores = frames.set_index("frame")[list(EXPRESSIONS)]
    written = 0
    with VideoReader(video, threads=threads) as reader, FaceAnalyzer(models_dir, threads=threads) as analyzer, \
            atomic_path(out) as tmp:
        staged = tmp.with_name(tmp.name + ".mp4")  # the writer picks the container by extension
        info = reader.info
        writer = cv2.VideoWriter(str(staged), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height))
        try:
            for frame in reader:
                landmarks, _ = analyzer.landmarks(frame.rgb)
                image = draw_mesh(frame.rgb, landmarks, max(1, round(info.height / 300)))
                if frame.index in scores.index:
                    expression_bars(image, scores.loc[frame.index])
                writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
                written += 1
        finally:
            writer.release()
        staged.replace(tmp)
    return written
