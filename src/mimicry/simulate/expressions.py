"""Expressions as displacements of the Face Landmarker's 478-point mesh and shading of the skin.

Each simulated expression is a (478, 2) displacement field in pixels at intensity 1 (a clear,
full expression) and a shading map (its wrinkles and furrows). Both are defined in a face-local frame
(origin between the pupils, x along the eyes, y down the face, unit = the inter-pupil distance, IOD):
displacements as smooth Gaussian bumps around a few landmarks, optionally masked to one lip or to the
upper or lower eyelids so that e.g. a jaw drop moves the lower lip but not the upper one, or as skin
dragged by a line of landmarks (``Drag``: the brows, a lip); shading as Gaussian lines through points
placed from landmarks. Intensities add linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mimicry.names import EXPRESSIONS

# MediaPipe face-mesh landmarks used below.
_PUPILS = (468, 473)  # iris centres (subject's right, left)
_UPPER_INNER_LIP = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
_LOWER_INNER_LIP = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
_UPPER_LIDS, _LOWER_LIDS = (159, 386), (145, 374)
#: Lower edge of each brow, from its inner end outwards (subject's right, left).
_BROW_LOWER = ((55, 65, 52, 53, 46), (285, 295, 282, 283, 276))
#: Upper-lid margin of each eye, inner corner to outer corner (right, left).
_UPPER_MARGIN = ((133, 173, 157, 158, 159, 160, 161, 246, 33), (362, 398, 384, 385, 386, 387, 388, 466, 263))
#: (upper lid, lower lid) landmarks facing each other across each eye opening, sorted along the eye (x).
_LID_PAIRS = (((246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155)),
              ((398, 382), (384, 381), (385, 380), (386, 374), (387, 373), (388, 390), (466, 249)))


@dataclass(frozen=True)
class Bump:
    """Landmarks (one per side) pulled by (out, up) IOD, weights falling off as a Gaussian of ``sigma`` IOD.

    out > 0 moves away from the face's midline, up > 0 moves towards the forehead. mask: None,
    "upper" (above the mouth line), "lower" (below it), "lids" (above the eyes' centre line),
    "under_eyes" (below it) or "brows" (the brows and everything above them fully, the skin between
    brow and upper-lid margin less and less towards the margin, the eye opening and below not at all).
    """

    landmarks: tuple[int, ...]
    sigma: float
    out: float = 0.0
    up: float = 0.0
    mask: str | None = None


@dataclass(frozen=True)
class Drag:
    """Skin carried by a line of landmarks on both sides (mirrored): the line's i-th landmarks (right, left)
    move by ``moves[i]`` = (out, up) IOD; every point takes the Gaussian-weighted (``sigma`` IOD) mean of
    the moves of the line landmarks near it, weights normalised where they sum above 1 (so neighbouring
    landmarks do not add up: the line itself moves by ``moves``), falling off with the distance beyond.
    mask: as for Bump. A midline landmark is given as (n, n).
    """

    landmarks: tuple[tuple[int, int], ...]
    moves: tuple[tuple[float, float], ...]
    sigma: float
    mask: str | None = None


@dataclass(frozen=True)
class Crease:
    """A wrinkle, furrow or fold drawn on the skin of both sides of the face (mirrored).

    points: the line's vertices, each (right landmark, left landmark, out, up): the landmark's neutral
    place shifted by (out, up) IOD (out > 0 away from the midline, up > 0 towards the forehead);
    depth: shading at the line's centre at intensity 1 (0-1 of the pixel's darkness; > 0 darkens
    towards black, < 0 lightens towards white); width: the Gaussian SD of its cross-section, IOD.
    """

    points: tuple[tuple[int, int, float, float], ...]
    depth: float
    width: float = 0.02


#: The nasolabial furrow, from the nostril wing to beside the lip corner (deepened by AU9, AU10, AU12).
_NASOLABIAL = ((129, 358, 0.03, 0.02), (206, 426, 0.01, 0.0), (57, 287, 0.03, 0.02))


def _nasolabial(depth: float) -> Crease:
    return Crease(_NASOLABIAL, depth, 0.035)


#: The expressions the simulator can plant (names from mimicry.names.EXPRESSIONS): their movement
#: (Bumps, amplitudes in IOD) and their wrinkles and furrows (Creases), after the FACS manual's appearance
#: changes of each action unit (docs/demo.md lists them). Jaw drop and eye closure are built in
#: ``expression_basis`` (their amplitudes depend on the face).
SPECS: dict[str, tuple[Bump | Crease, ...]] = {
    # AU12: corners up and out obliquely, infraorbital triangle up, nasolabial furrow deepened
    "smile": (Bump((61, 291), 0.16, out=0.10, up=0.14), Bump((205, 425), 0.2, up=0.03), _nasolabial(0.25)),
    # AU6: cheeks up, lower lids pushed up (eye narrowed from below), crow's feet, infraorbital furrow
    "cheek_raise": (Bump((118, 347), 0.25, up=0.07), Bump((145, 374), 0.1, up=0.03, mask="under_eyes"),
                    Crease(((33, 263, 0.05, 0.04), (33, 263, 0.16, 0.09)), 0.25),
                    Crease(((33, 263, 0.06, 0.0), (33, 263, 0.18, 0.0)), 0.25),
                    Crease(((33, 263, 0.05, -0.04), (33, 263, 0.15, -0.1)), 0.25),
                    Crease(((133, 362, 0.0, -0.1), (145, 374, 0.0, -0.12), (33, 263, -0.02, -0.12)), 0.2, 0.025)),
    # AU4: the whole brow lowered (its inner part most) and pulled together, the skin below it (eye cover
    # fold) pushed down towards the eye while the eye opening stays (mask "brows"), the upper lid lowered a
    # little (aperture narrowed); vertical furrows between the brows, a horizontal wrinkle at the root of
    # the nose, the eye cover fold shadowed
    "brow_furrow": (Drag(tuple(zip(*_BROW_LOWER)), ((-0.07, -0.12), (-0.05, -0.11), (-0.03, -0.09), (-0.015, -0.07),
                                                       (0.0, -0.06)), 0.12, mask="brows"),
                    Bump((159, 386), 0.1, up=-0.02, mask="lids"),
                    Crease(((55, 285, -0.12, 0.12), (55, 285, -0.13, -0.04)), 0.3, 0.025),
                    Crease(((168, 168, 0.0, 0.1), (168, 168, 0.07, 0.1)), 0.2),
                    Crease(((133, 362, 0.0, 0.12), (159, 386, 0.0, 0.1), (33, 263, 0.0, 0.1)), 0.2, 0.04)),
    # AU1: inner brows up (the brows slant), horizontal wrinkles across the centre of the forehead
    "inner_brow_raise": (Bump((55, 285), 0.15, up=0.07), Bump((107, 336), 0.15, up=0.05),
                         Crease(((107, 336, -0.24, 0.12), (107, 336, 0.05, 0.12)), 0.15, 0.025),
                         Crease(((107, 336, -0.24, 0.24), (107, 336, 0.0, 0.24)), 0.15, 0.025)),
    # AU2: outer brows up (arched), the eye cover fold stretched, wrinkles above the outer brows
    "brow_raise": (Bump((105, 334), 0.25, up=0.10), Bump((70, 300), 0.2, up=0.05),
                   Crease(((105, 334, -0.1, 0.12), (105, 334, 0.25, 0.1)), 0.15, 0.025),
                   Crease(((105, 334, -0.05, 0.24), (105, 334, 0.2, 0.22)), 0.15, 0.025)),
    # AU5: upper lids up, the white of the eye above the iris shows
    "eye_widen": (Bump((159, 386), 0.12, up=0.07, mask="lids"),
                  Crease(((161, 388, 0.0, -0.015), (159, 386, 0.0, -0.015), (157, 384, 0.0, -0.015)), -0.5, 0.012)),
    # AU15: corners down, the lower lip stretched sideways, bulges and a fold below the corners
    "lip_corner_depressor": (Bump((61, 291), 0.12, out=0.05, up=-0.09),
                             Crease(((61, 291, 0.03, -0.03), (61, 291, 0.06, -0.17)), 0.22, 0.02),
                             Crease(((61, 291, -0.02, -0.06), (61, 291, 0.0, -0.15)), -0.12, 0.025)),
    # AU20: corners pulled sideways (straight out towards the ears), lips elongated, flattened and thinned,
    # skin beyond the corners stretched with short wrinkles
    "lip_stretch": (Bump((61, 291), 0.18, out=0.15), Bump((0,), 0.15, up=-0.03, mask="upper"),
                    Bump((17,), 0.15, up=0.04, mask="lower"),
                    Crease(((61, 291, 0.1, 0.04), (61, 291, 0.11, -0.05)), 0.15)),
    # AU25: lips part, the jaw stays: the lower lip as a whole (its centre most, the corners hardly) comes
    # down off the teeth, the upper lip a little up; the teeth stay together (render.draw_mouth)
    "mouth_open": (Drag(((14, 14), (87, 317), (178, 402), (88, 318)), ((0.0, -0.10), (0.0, -0.09), (0.0, -0.07),
                                                                        (0.0, -0.04)), 0.1, mask="lower"),
                   Bump((13,), 0.2, up=0.02, mask="upper")),
    # AU9: nostril wings and infraorbital triangle up, inner brows down, upper lip up, lower lids pushed
    # up, wrinkles across the bridge and sides of the nose, nasolabial furrow deepened
    "nose_wrinkle": (Bump((129, 358), 0.12, up=0.07), Bump((55, 285), 0.12, up=-0.05, mask="brows"),
                     Bump((0,), 0.2, up=0.04, mask="upper"), Bump((145, 374), 0.1, up=0.02, mask="under_eyes"),
                     *(Crease(((n, n, 0.0, 0.0), (n, n, 0.12, -0.02)), 0.25, 0.015) for n in (6, 197, 195)),
                     _nasolabial(0.2)),
    # AU10: upper lip drawn up, its centre straight up most and its outer parts less (the corners hardly):
    # an angular bend, an inverted U; at this strength the lips part and the upper teeth show (draw_mouth);
    # infraorbital triangle up, nostril wings widened and up, upper nasolabial furrow deepened
    "upper_lip_raise": (Bump((0, 13), 0.2, up=0.045, mask="upper"), Bump((205, 425), 0.2, up=0.03),
                        Bump((129, 358), 0.1, out=0.02, up=0.03), _nasolabial(0.25)),
}
#: Jaw drop: everything below the mouth line moves down by this many IOD (less towards the ears).
JAW_DROP_IOD = 0.25
#: Eye closure (a blink at intensity 1): the upper lids come down by this fraction of the lid gap.
EYE_CLOSURE_FRACTION = 1.0
SIMULATED = tuple(sorted((*SPECS, "jaw_drop", "eye_closure")))
assert set(SIMULATED) <= set(EXPRESSIONS)


def face_frame(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Face-local frame of a mesh: (origin (2,), rotation (2, 2) whose rows are the x and y axes, IOD pixels)."""
    right, left = mesh[_PUPILS[0]], mesh[_PUPILS[1]]
    iod = float(np.linalg.norm(left - right))
    ex = (left - right) / iod
    return (right + left) / 2, np.array([ex, [-ex[1], ex[0]]]), iod


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(z / 2))


def _masks(local: np.ndarray) -> dict[str, np.ndarray]:
    """Soft (0-1) membership of each landmark in the regions a Bump can be masked to."""
    mid = (local[_UPPER_INNER_LIP] + local[_LOWER_INNER_LIP]) / 2
    order = np.argsort(mid[:, 0])
    mouth_line = np.interp(local[:, 0], mid[order, 0], mid[order, 1])
    upper = _sigmoid((mouth_line - local[:, 1]) / 0.004)
    upper[_UPPER_INNER_LIP[1:-1]], upper[_LOWER_INNER_LIP[1:-1]] = 1.0, 0.0  # a closed mouth's lips touch
    eye_line = local[[*_UPPER_LIDS, *_LOWER_LIDS], 1].mean()
    lids = _sigmoid((eye_line - local[:, 1]) / 0.01)
    brows = np.zeros(len(local))
    for brow, margin, side in zip(_BROW_LOWER, _UPPER_MARGIN, (-1, 1)):
        x = local[:, 0]
        at_brow = _along(local[list(brow)], x)
        at_margin = _along(local[list(margin)], x)
        # 1 at and above the brow's lower edge, falling linearly to 0 at the upper-lid margin
        share = np.clip((at_margin - local[:, 1]) / np.maximum(at_margin - at_brow, 1e-3), 0, 1)
        brows = np.where(np.sign(x) == side, share, brows)
    return {"upper": upper, "lower": 1 - upper, "lids": lids, "under_eyes": 1 - lids, "brows": brows}


def _along(line: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Height (y) of a polyline of points (n, 2) at each x, constant beyond its ends."""
    order = np.argsort(line[:, 0])
    return np.interp(x, line[order, 0], line[order, 1])


def _bump_field(local: np.ndarray, bump: Bump, masks: dict) -> np.ndarray:
    field = np.zeros_like(local)
    for index in bump.landmarks:
        centre = local[index]
        weight = np.exp(-((local - centre) ** 2).sum(axis=1) / (2 * bump.sigma**2))
        field += weight[:, None] * [bump.out * np.sign(centre[0]), -bump.up]
    return field * (masks[bump.mask][:, None] if bump.mask else 1.0)


def _drag_field(local: np.ndarray, drag: Drag, masks: dict) -> np.ndarray:
    index, moves = [], []
    for pair, (out, up) in zip(drag.landmarks, drag.moves):
        for landmark in dict.fromkeys(pair):  # a midline landmark once
            index.append(landmark)
            moves.append([out * np.sign(local[landmark, 0]), -up])
    weight = np.exp(-((local[:, None] - local[index][None]) ** 2).sum(axis=2) / (2 * drag.sigma**2))
    field = weight @ np.array(moves) / np.maximum(weight.sum(axis=1), 1)[:, None]
    return field * (masks[drag.mask][:, None] if drag.mask else 1.0)


def _closure_field(local: np.ndarray, lids: np.ndarray, sigma: float = 0.08) -> np.ndarray:
    """Eye closure (IOD, (n, 2)): each upper-lid point comes down by EYE_CLOSURE_FRACTION of its gap to the
    lower lid below it (gaps interpolated along the eye), the lid skin above it following with a Gaussian
    falloff of ``sigma`` IOD from the lid margin; nothing below the eyes' centre line moves."""
    down = np.zeros(len(local))
    for pairs in _LID_PAIRS:
        upper, lower = local[[u for u, _ in pairs]], local[[w for _, w in pairs]]
        gap = np.interp(local[:, 0], upper[:, 0], lower[:, 1] - upper[:, 1])
        distance = np.linalg.norm(local[:, None] - upper[None], axis=2).min(axis=1)
        down += gap * np.exp(-0.5 * (distance / sigma) ** 2)
    return np.outer(down * lids * EYE_CLOSURE_FRACTION, [0, 1])


def expression_basis(mesh: np.ndarray) -> dict[str, np.ndarray]:
    """Displacement of every landmark at intensity 1, {expression: (n, 2) pixels}, for a neutral mesh (n >= 478)."""
    origin, rotation, iod = face_frame(mesh)
    local = (mesh - origin) @ rotation.T / iod
    masks = _masks(local)
    fields = {name: sum(_bump_field(local, b, masks) if isinstance(b, Bump) else _drag_field(local, b, masks)
                        for b in parts if isinstance(b, (Bump, Drag))) + np.zeros_like(local)
              for name, parts in SPECS.items()}
    lateral = np.clip(1 - (local[:, 0] / 0.95) ** 2, 0, 1)
    fields["jaw_drop"] = np.outer(masks["lower"] * lateral * JAW_DROP_IOD, [0, 1])
    fields["eye_closure"] = _closure_field(local, masks["lids"])
    return {name: fields[name] @ rotation * iod for name in SIMULATED}


def expression_shading(mesh: np.ndarray, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """Shading of every expression at intensity 1 on the neutral face: {expression: (height, width)
    float32}, > 0 darkening (fraction of the way to black), < 0 lightening (towards white); all-zero maps
    are left out."""
    origin, rotation, iod = face_frame(mesh)
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    pixels = np.c_[xs.ravel(), ys.ravel()].astype(np.float64)
    maps = {}
    for name, parts in SPECS.items():
        creases = [c for c in parts if isinstance(c, Crease)]
        if creases:
            total = sum(_crease_map(mesh, c, rotation * iod, pixels) for c in creases)
            maps[name] = total.reshape(shape).astype(np.float32)
    return maps


def _crease_map(mesh: np.ndarray, crease: Crease, axes: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Shading (n_pixels,) of one crease on both sides: depth x Gaussian of the distance to its polyline."""
    out = np.zeros(len(pixels))
    origin = (mesh[_PUPILS[0]] + mesh[_PUPILS[1]]) / 2
    for side, column in ((-1, 0), (1, 1)):  # subject's right (image left), then left
        line = np.array([mesh[p[column]] + side * p[2] * axes[0] - p[3] * axes[1] for p in crease.points])
        if np.sign((line[0] - origin) @ axes[0]) != side and crease.points[0][0] != crease.points[0][1]:
            raise ValueError(f"crease landmarks {crease.points[0][:2]} are not (right, left)")
        distance = np.min([_segment_distance(pixels, a, b) for a, b in zip(line, line[1:])], axis=0)
        out = np.maximum(out, np.exp(-0.5 * (distance / (crease.width * np.linalg.norm(axes[0]))) ** 2))
    return crease.depth * out


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance (pixels) of each point (n, 2) to the segment from a to b."""
    t = np.clip((points - a) @ (b - a) / max(float((b - a) @ (b - a)), 1e-9), 0, 1)
    return np.linalg.norm(points - (a + t[:, None] * (b - a)), axis=1)
