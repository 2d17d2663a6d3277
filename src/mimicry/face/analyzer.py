"""Pixels -> per-frame face record: MediaPipe's Face Landmarker, alignment, head pose, optionally the emotion network.

This is the costly step (decode + landmarks), run once per video; everything downstream (blendshapes,
expressions, emotions, an optional neutral reference) is re-computed from its output without the video:
``blendshape_input`` holds exactly what the blendshape network reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import pyarrow as pa

from mimicry.face import CANONICAL_FILE, EMOTION_FILE, LANDMARKER_FILE, blendshape_net, emotion_net, geometry, occlusion

if TYPE_CHECKING:
    import pandas as pd

#: Model files read from models_dir.
#: Appearance-based emotion columns (FER2013 classes), probabilities 0-1.
FER_COLUMNS = tuple(f"fer_{name}" for name in emotion_net.FER_CLASSES)
MESH_SIZE = geometry.N_LANDMARKS * 3
BLENDSHAPE_INPUT_SIZE = blendshape_net.N_POINTS * 2
#: Face crop for the emotion network, in the canonical frame (IOU): centre (x, y) and half side.
CROP_CENTRE = (0.0, -0.05)
CROP_HALF = 1.0
#: Rigid-fit residual (IOU) at which face_score falls to exp(-1); real frontal faces fit to about 0.05.
FIT_SCALE = 0.15
#: The Face Landmarker measures every face in a normalised view: a MESH_VIEW_SIZE x MESH_VIEW_SIZE pixel image
#: in which the face is upright (outer eye corners level), centred, with the eye corners MESH_VIEW_IOD pixels
#: apart. MediaPipe's landmarks (and so its blendshapes) move with the face's in-plane rotation and pixel size
#: (docs/models.md, "Invariance"), so it never sees either. 320/80 px was chosen for the previous (legacy
#: face-mesh) scorer; bilinear, not bicubic: 0.6 instead of 3.4 ms a frame, and the invariance test's
#: one failing case (a half-size face) is the same with either (docs/models.md).
MESH_VIEW_SIZE = 320
MESH_VIEW_IOD = 80.0
MESH_VIEW_INTERPOLATION = cv2.INTER_LINEAR
#: Extra passes on the normalised view when a face is newly located, so that MediaPipe's tracking region
#: of interest settles on it before its landmarks are used.
SETTLE_PASSES = 3
#: The faces of the whole frame are counted (n_faces) every COUNT_EVERY frames and whenever the tracked face
#: is new or lost, by the bundle's face detector (DETECTOR_MEMBER of the .task).
COUNT_EVERY = 15
DETECTOR_MEMBER = "face_detector.tflite"

_f32 = pa.float32()
#: Columns of results/landmarks/{participant}.parquet. ``FaceAnalyzer.analyze`` yields all but the first three.
LANDMARK_SCHEMA = pa.schema([
    pa.field("participant_id", pa.string()),
    pa.field("frame", pa.int64()),             # 0-based index in the decoded video, before stride
    pa.field("time_ms", pa.float64()),         # container timestamp, ms
    pa.field("face", pa.bool_()),              # a face was found
    pa.field("n_faces", pa.int16()),           # faces found (max 2); the largest is kept
    pa.field("face_score", _f32),              # 0-1, fit of the mesh's rigid landmarks to the canonical face
    pa.field("pitch", _f32),                   # degrees, > 0 chin up
    pa.field("yaw", _f32),                     # degrees, > 0 nose towards the image right
    pa.field("roll", _f32),                    # degrees, > 0 counter-clockwise in the image
    pa.field("face_size_px", _f32),            # outer-eye-corner distance in pixels (1 IOU)
    pa.field("mesh", pa.list_(_f32, MESH_SIZE)),  # 478 aligned landmarks, IOU, x0,y0,z0,x1,...; null without face
    # the blendshape network's input: blendshape_net.LANDMARK_SUBSET in pixels of the normalised view
    # (upright, MESH_VIEW_SIZE square), x0,y0,x1,...; null without face
    pa.field("blendshape_input", pa.list_(_f32, BLENDSHAPE_INPUT_SIZE)),
    *(pa.field(name, _f32) for name in FER_COLUMNS),
    # the lower face's edge-direction histograms (occlusion.edge_histograms: occlusion of the mouth, nose or
    # chin, docs/quality.md); null without face
    pa.field("lower_face_edges", pa.list_(_f32, occlusion.N_VALUES)),
])
ANALYZER_SCHEMA = pa.schema([LANDMARK_SCHEMA.field(i) for i in range(3, len(LANDMARK_SCHEMA))])


def crop_matrices(image_xy: np.ndarray, canonical: np.ndarray, size: int = emotion_net.INPUT_SIZE) -> np.ndarray:
    """2x3 affine maps (B, 2, 3) from crop pixels to image pixels (for cv2.WARP_INVERSE_MAP), batched.

    image_xy: (B, 468+, 2) landmark pixels (x right, y down). The crop is the square CROP_CENTRE +- CROP_HALF
    of the canonical frame, upright whatever the in-plane rotation and scale of the face.
    """
    rig = geometry.RIGID_LANDMARKS
    src = image_xy[:, rig] * (1.0, -1.0)
    s, r, t = geometry.umeyama(src, np.broadcast_to(canonical[rig, :2], src.shape))
    a = np.transpose(r, (0, 2, 1)) / s[:, None, None]          # canonical -> image (y up)
    b = -np.einsum("bij,bj->bi", a, t)
    k = 2 * CROP_HALF / size
    cx, cy = CROP_CENTRE
    c = np.array([[k, 0.0, cx - CROP_HALF + 0.5 * k], [0.0, -k, cy + CROP_HALF - 0.5 * k]])
    flip = np.diag([1.0, -1.0])
    linear = flip @ a @ c[:, :2]
    shift = np.einsum("ij,bj->bi", flip, a @ c[:, 2] + b)
    return np.concatenate([linear, shift[:, :, None]], axis=2)


def landmark_array(landmarks) -> np.ndarray:
    """(N, 3) array of a MediaPipe NormalizedLandmarkList (x, y, z).

    Reads the protobuf wire format with numpy (20x faster than a Python loop over the points): each
    landmark is a 15-byte message (tags 0x0d, 0x15, 0x1d, each followed by a little-endian float32),
    prefixed by its field tag 0x0a and length 0x0f. Any other layout (e.g. visibility set) takes the loop.
    """
    n = len(landmarks.landmark)
    wire = np.frombuffer(landmarks.SerializeToString(), np.uint8)
    if wire.size == 17 * n:
        rows = wire.reshape(n, 17)
        if (rows[:, :3] == (0x0A, 0x0F, 0x0D)).all() and (rows[:, 7] == 0x15).all() and (rows[:, 12] == 0x1D).all():
            xyz = np.ascontiguousarray(rows[:, [3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16]])
            return xyz.view("<f4").astype(np.float64)
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark])


def view_transform(landmarks: np.ndarray, shape) -> np.ndarray:
    """2 x 3 affine map of pixels of a frame of ``shape`` (h, w, ...) to the normalised view of the face whose
    normalised landmarks (478, 3) are given: upright, centred, MESH_VIEW_IOD px between the outer eye corners."""
    h, w = shape[:2]
    px = landmarks[:, :2] * (w, h)
    right, left = (px[i] for i in geometry.OUTER_EYE_CORNERS)
    dx, dy = left - right
    roll = np.degrees(np.arctan2(dy, dx))  # clockwise in the image > 0
    centre = px.mean(0)
    to_view = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(roll),
                                      MESH_VIEW_IOD / max(np.hypot(dx, dy), 1e-6))
    to_view[:, 2] += MESH_VIEW_SIZE / 2 - centre
    return to_view


def normalised_view(frame: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The face of ``frame`` upright, centred and scaled to MESH_VIEW_IOD pixels between the outer eye corners.

    landmarks: (478, 3) normalised MediaPipe landmarks of the face in ``frame`` (a previous estimate).
    Returns (MESH_VIEW_SIZE x MESH_VIEW_SIZE image, 2 x 3 affine map of pixels from the frame to it);
    MESH_VIEW_INTERPOLATION, border replicated.
    """
    to_view = view_transform(landmarks, frame.shape)
    view = cv2.warpAffine(frame, to_view, (MESH_VIEW_SIZE, MESH_VIEW_SIZE), flags=MESH_VIEW_INTERPOLATION,
                          borderMode=cv2.BORDER_REPLICATE)
    return view, to_view


def landmarks_from_view(landmarks: np.ndarray, to_view: np.ndarray, shape) -> np.ndarray:
    """Normalised landmarks (N, 3) of the normalised view -> normalised landmarks of the frame (shape (h, w, ...)).

    x, y are mapped back by the inverse of ``to_view``; z (MediaPipe: in units of the image width) is
    rescaled from the view's width to the frame's.
    """
    h, w = shape[:2]
    back = cv2.invertAffineTransform(to_view)
    out = np.empty_like(landmarks)
    out[:, :2] = (landmarks[:, :2] * MESH_VIEW_SIZE @ back[:, :2].T + back[:, 2]) / (w, h)
    out[:, 2] = landmarks[:, 2] * MESH_VIEW_SIZE * np.sqrt(abs(np.linalg.det(back[:, :2]))) / w
    return out


def largest_face(landmarker, image: np.ndarray) -> tuple[np.ndarray | None, int]:
    """One Face Landmarker call (IMAGE mode) on an RGB image: (normalised landmarks (478, 3) of the largest
    face or None, faces found).

    The same graph call as the landmarker's ``detect``, but the landmark protos are
    read by ``landmark_array`` instead of one Python object per landmark (2 ms a frame); it uses the stream
    names of mediapipe 0.10.21's face_landmarker module (tests/test_face_scorer.py checks it against
    ``detect``).
    """
    import mediapipe as mp
    from mediapipe.python import packet_creator, packet_getter
    from mediapipe.tasks.python.vision import face_landmarker as fl

    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
    rect = landmarker.convert_to_normalized_rect(None, image, roi_allowed=False).to_pb2()
    inputs = {fl._IMAGE_IN_STREAM_NAME: packet_creator.create_image(image),
              fl._NORM_RECT_STREAM_NAME: packet_creator.create_proto(rect)}
    packets = landmarker._process_image_data(inputs)
    stream = packets[fl._NORM_LANDMARKS_STREAM_NAME]
    if stream.is_empty():
        return None, 0
    arrays = [landmark_array(face) for face in packet_getter.get_proto_list(stream)]
    areas = [np.ptp(a[:, 0]) * np.ptp(a[:, 1]) for a in arrays]
    return arrays[int(np.argmax(areas))], len(arrays)


def face_landmarker(task_path, max_num_faces: int, min_detection_confidence: float):
    """A MediaPipe Face Landmarker (tasks API) on the CPU, in IMAGE mode, without its blendshapes
    (``blendshape_net`` computes them, batched, from the stored landmarks).

    IMAGE mode, not VIDEO: our tracking is the normalised view made from the previous frame's face, so each
    frame is measured on its own, with no smoothing state and no timestamps to keep; VIDEO mode would skip
    the face detector (about 1 ms a frame of 12) but smooth the landmarks over time (docs/models.md)."""
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(task_path)), running_mode=vision.RunningMode.IMAGE,
        num_faces=max_num_faces, min_face_detection_confidence=min_detection_confidence,
        min_face_presence_confidence=min_detection_confidence)
    return vision.FaceLandmarker.create_from_options(options)


def face_detector(task_path, min_detection_confidence: float):
    """The Face Landmarker bundle's own face detector (``face_detector.tflite`` inside the .task, the
    short-range BlazeFace that the landmarker runs before its landmarks), as a MediaPipe FaceDetector in
    IMAGE mode on the CPU: 3 ms a frame where the whole landmarker takes 11."""
    import zipfile

    from mediapipe.tasks.python import BaseOptions, vision

    with zipfile.ZipFile(task_path) as bundle:
        model = bundle.read(DETECTOR_MEMBER)
    options = vision.FaceDetectorOptions(base_options=BaseOptions(model_asset_buffer=model),
                                         running_mode=vision.RunningMode.IMAGE,
                                         min_detection_confidence=min_detection_confidence)
    return vision.FaceDetector.create_from_options(options)


def count_faces(detector, image: np.ndarray, at_most: int) -> int:
    """Faces the ``face_detector`` finds in an RGB image, at most ``at_most``."""
    import mediapipe as mp

    found = detector.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
    return min(len(found.detections), at_most)


def upright_points(landmarks: np.ndarray, shape) -> np.ndarray:
    """The blendshape network's input (146, 2) for normalised landmarks (478, 3) of a frame of ``shape``:
    the LANDMARK_SUBSET in pixels of the face's normalised view (upright, eye corners MESH_VIEW_IOD apart)."""
    h, w = shape[:2]
    to_view = view_transform(landmarks, shape)
    return landmarks[list(blendshape_net.LANDMARK_SUBSET), :2] * (w, h) @ to_view[:, :2].T + to_view[:, 2]


class FaceAnalyzer:
    """Per-frame face analysis of ONE video, in order (MediaPipe tracking state is kept between calls).

    models_dir must hold face_landmarker.task, canonical_face.npy and, with ``fer``, emotion_net.pt (built by
    workflow/rules/models.smk). ``fer`` runs the FER2013 emotion network on each face (about 1 ms a frame;
    only the emotion sources in ``mimicry.face.FER_SOURCES`` read it); without it the fer_* columns are NaN.
    Use as a context manager, or call close().
    """

    def __init__(self, models_dir, device: str = "cpu", threads: int = 1, max_num_faces: int = 2,
                 min_detection_confidence: float = 0.5, fer: bool = False):
        import torch

        models_dir = Path(models_dir)
        for name in (LANDMARKER_FILE, CANONICAL_FILE) + ((EMOTION_FILE,) if fer else ()):
            if not (models_dir / name).is_file():
                raise FileNotFoundError(f"{models_dir / name} missing: build it with `snakemake models`")
        torch.set_num_threads(threads)
        self.canonical = np.load(models_dir / CANONICAL_FILE)
        self.net = emotion_net.load(models_dir / EMOTION_FILE, device) if fer else None
        self._face = None            # normalised landmarks of the tracked face in the previous frame
        self._n_faces = 0            # faces found by the last search of the whole frame
        self._since_search = 0       # frames since that search
        task = models_dir / LANDMARKER_FILE
        self._max_faces = max_num_faces
        self._detector = face_detector(task, min_detection_confidence)
        self._locator = face_landmarker(task, max_num_faces, min_detection_confidence)
        self._tracker = face_landmarker(task, 1, min_detection_confidence)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Free MediaPipe's graphs."""
        for graph in (self._detector, self._locator, self._tracker):
            if graph is not None:
                graph.close()
        self._detector = self._locator = self._tracker = None

    def landmarks(self, frame: np.ndarray) -> tuple[np.ndarray | None, int]:
        """(478 x 3 normalised landmarks of the tracked face or None, faces in the frame, at most max_num_faces).

        The faces are counted by the bundle's face detector on the whole frame every COUNT_EVERY frames and
        whenever the face is new or lost. The tracked face's landmarks come from the tracking landmarker on
        the normalised view around the previous frame's face (``normalised_view``), mapped back to the frame.
        A face is located by the locating landmarker (the largest face of the whole frame) only when there is
        none to track and the detector found one; it is then measured SETTLE_PASSES times, and if the view
        loses it the locator's landmarks are kept.
        """
        if self._face is not None and self._since_search < COUNT_EVERY:
            self._since_search += 1
            face = self._track(frame, passes=1)
            if face is not None:
                return face, max(self._n_faces, 1)
        self._n_faces, self._since_search = count_faces(self._detector, frame, self._max_faces), 1
        if self._face is not None:
            face = self._track(frame, passes=1)
            if face is not None:
                return face, max(self._n_faces, 1)
        if self._n_faces == 0:  # the locator runs the same detector: it would find nothing either
            return None, 0
        located, _ = largest_face(self._locator, frame)
        if located is None:
            return None, 0
        self._face = located
        face = self._track(frame, SETTLE_PASSES)
        return (located if face is None else face), max(self._n_faces, 1)

    def _track(self, frame: np.ndarray, passes: int) -> np.ndarray | None:
        """Landmarks of the tracked face in ``frame`` from ``passes`` tracking runs on its normalised
        view; None (and the track dropped) when the view holds no face."""
        for _ in range(passes):
            view, to_view = normalised_view(frame, self._face)
            lm, _ = largest_face(self._tracker, view)
            self._face = None if lm is None else landmarks_from_view(lm, to_view, frame.shape)
            if self._face is None:
                break
        return self._face

    def emotion_probabilities(self, frames: list[np.ndarray], image_xy: np.ndarray) -> np.ndarray:
        """FER2013 class probabilities (B, 7), 0-1, of the face in each RGB frame, whose landmark pixels
        (B, 478, 2) are given: the emotion network on the upright grayscale crop (``crop_matrices``)."""
        size = emotion_net.INPUT_SIZE
        crops = np.stack([
            cv2.cvtColor(cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                        borderMode=cv2.BORDER_REPLICATE), cv2.COLOR_RGB2GRAY)
            for frame, m in zip(frames, crop_matrices(image_xy, self.canonical))])
        return emotion_net.predict(self.net, crops)

    def analyze(self, frames: list[np.ndarray]) -> pa.RecordBatch:
        """Face record of each RGB uint8 frame (H x W x 3), as a RecordBatch with ANALYZER_SCHEMA.

        MediaPipe runs per frame; alignment, the blendshape input and (with ``fer``) the emotion network run
        once per call, batched over the frames with a face.
        """
        n = len(frames)
        found, n_faces, landmarks = np.zeros(n, bool), np.zeros(n, np.int16), []
        for i, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(f"frame {i}: expected H x W x 3 uint8 RGB, got {frame.shape} {frame.dtype}")
            lm, n_faces[i] = self.landmarks(frame)
            if lm is not None:
                found[i] = True
                landmarks.append(lm)
        cols = {name: np.full(n, np.nan, np.float32) for name in
                ("face_score", "pitch", "yaw", "roll", "face_size_px", *FER_COLUMNS)}
        mesh = np.full((n, MESH_SIZE), np.nan, np.float32)
        subset = np.full((n, BLENDSHAPE_INPUT_SIZE), np.nan, np.float32)
        edges = np.full((n, occlusion.N_VALUES), np.nan, np.float32)
        if landmarks:
            index = np.flatnonzero(found)
            sizes = np.array([frames[i].shape[1::-1] for i in index], dtype=np.float64)  # (w, h) per frame
            lm = np.stack(landmarks)
            points = geometry.image_to_camera(lm, sizes[:, :1], sizes[:, 1:])
            aligned, pose, px_per_iou, residual = geometry.align(points, self.canonical)
            cols["pitch"][found], cols["yaw"][found], cols["roll"][found] = pose.T
            cols["face_size_px"][found] = px_per_iou
            edges[found] = [occlusion.edge_histograms(frames[i], a) for a, i in zip(landmarks, index)]
            cols["face_score"][found] = np.exp(-((residual / FIT_SCALE) ** 2))
            mesh[found] = aligned.reshape(len(index), MESH_SIZE)
            subset[found] = [upright_points(a, frames[i].shape).ravel() for a, i in zip(landmarks, index)]
            if self.net is not None:
                probs = self.emotion_probabilities([frames[i] for i in index], lm[:, :, :2] * sizes[:, None])
                for j, name in enumerate(FER_COLUMNS):
                    cols[name][found] = probs[:, j]
        no_face = pa.array(~found)
        arrays = [pa.array(found), pa.array(n_faces)]
        arrays += [pa.array(cols[name]) for name in ("face_score", "pitch", "yaw", "roll", "face_size_px")]
        arrays += [pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1], mask=no_face)
                   for values in (mesh, subset)]
        arrays += [pa.array(cols[name]) for name in FER_COLUMNS]
        arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(edges.ravel()), occlusion.N_VALUES, mask=no_face))
        return pa.RecordBatch.from_arrays(arrays, schema=ANALYZER_SCHEMA)


def analyze_frames(frames: list[np.ndarray], models_dir, batch_size: int = 16, fer: bool = False) -> "pd.DataFrame":
    """FaceAnalyzer records (ANALYZER_SCHEMA columns) of RGB frames, in order, through one fresh analyzer
    (``fer``: with the emotion network), as a pandas DataFrame (for tests, benchmarks and validation;
    extraction streams instead)."""
    with FaceAnalyzer(models_dir, fer=fer) as analyzer:
        batches = [analyzer.analyze(frames[i:i + batch_size]) for i in range(0, len(frames), batch_size)]
    return pa.Table.from_batches(batches, schema=ANALYZER_SCHEMA).to_pandas()
