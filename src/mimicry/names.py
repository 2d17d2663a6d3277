"""The vocabulary of the study: reactions, their display names, FACS codes and stimulus emotions.

One place for every name. Files use the snake_case names; figures use the display names
(the AFFDEX names the study reported).
"""

#: 20 facial expressions (snake_case name -> (AFFDEX display name, FACS action unit)).
EXPRESSION_INFO = {
    "brow_furrow": ("Brow Furrow", "AU4"),
    "brow_raise": ("Brow Raise", "AU2"),
    "cheek_raise": ("Cheek Raise", "AU6"),
    "chin_raise": ("Chin Raise", "AU17"),
    "dimpler": ("Dimpler", "AU14"),
    "eye_closure": ("Eye Closure", "AU43"),
    "eye_widen": ("Eye Widen", "AU5"),
    "inner_brow_raise": ("Inner Brow Raise", "AU1"),
    "jaw_drop": ("Jaw Drop", "AU26"),
    "lid_tighten": ("Lid Tighten", "AU7"),
    "lip_corner_depressor": ("Lip Corner Depressor", "AU15"),
    "lip_press": ("Lip Press", "AU24"),
    "lip_pucker": ("Lip Pucker", "AU18"),
    "lip_stretch": ("Lip Stretch", "AU20"),
    "lip_suck": ("Lip Suck", "AU28"),
    "mouth_open": ("Mouth Open", "AU25"),
    "nose_wrinkle": ("Nose Wrinkle", "AU9"),
    "smile": ("Smile", "AU12"),
    "smirk": ("Smirk", "unilateral AU12"),
    "upper_lip_raise": ("Upper Lip Raise", "AU10"),
}

#: 7 emotions (snake_case name -> display name).
EMOTION_INFO = {
    "joy": "Joy",
    "anger": "Anger",
    "fear": "Fear",
    "disgust": "Disgust",
    "contempt": "Contempt",
    "sadness": "Sadness",
    "surprise": "Surprise",
}

EXPRESSIONS = tuple(EXPRESSION_INFO)
EMOTIONS = tuple(EMOTION_INFO)
#: The 27 reactions analysed per stimulus: 7 emotions then 20 expressions, each scored 0-100.
REACTIONS = EMOTIONS + EXPRESSIONS

#: Head pose columns, degrees.
POSE = ("pitch", "yaw", "roll")

#: Columns of results/frames/{participant}.parquet, in order.
FRAME_COLUMNS = (
    ("participant_id", "frame", "time_ms", "face", "face_score") + EXPRESSIONS + EMOTIONS + POSE
)

#: Optional columns of the frames table: ``stimulus`` (an engine export's stimulus name) and
#: ``lower_face_changed`` (video only: the fraction 0-1 of the lower face whose edges changed from the
#: participant's usual ones, mimicry.face.occlusion.changed_fraction).
OPTIONAL_FRAME_COLUMNS = ("stimulus", "lower_face_changed")

#: Stimulus emotions of the protocol (KDEF-style labels) and their two-letter stimulus codes.
STIMULUS_EMOTION_CODES = {
    "afraid": "AF",
    "angry": "AN",
    "disgusted": "DI",
    "happy": "HA",
    "neutral": "NE",
    "sad": "SA",
    "surprised": "SU",
}
STIMULUS_EMOTIONS = tuple(STIMULUS_EMOTION_CODES)


def display_name(reaction: str) -> str:
    """AFFDEX display name of a reaction ("brow_furrow" -> "Brow Furrow", "joy" -> "Joy")."""
    if reaction in EXPRESSION_INFO:
        return EXPRESSION_INFO[reaction][0]
    if reaction in EMOTION_INFO:
        return EMOTION_INFO[reaction]
    raise KeyError(f"unknown reaction {reaction!r}; known: {', '.join(REACTIONS)}")
