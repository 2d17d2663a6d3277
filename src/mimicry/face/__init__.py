"""The face scorer: MediaPipe's Face Landmarker, its blendshape network in PyTorch, an expression head.

Pipeline: ``analyzer.FaceAnalyzer`` (pixels -> landmarks in a normalised view, aligned mesh, pose,
appearance emotions; the costly step), then ``scorer.score_landmarks`` (the stored landmarks ->
52 blendshapes (``blendshape_net``) -> 20 expressions (``au_head``) and 7 emotions, 0-100, absolute per
frame, optionally relative to the participant's neutral frames; cheap, re-run for a new head or mapping).
"""

#: Model files in config models.dir (each with a <stem>.provenance.json beside it). Kept here, in a module
#: that imports nothing heavy, so the workflow can name them without loading torch or MediaPipe.
LANDMARKER_FILE = "face_landmarker.task"
BLENDSHAPE_FILE = "blendshape_net.pt"
CANONICAL_FILE = "canonical_face.npy"
EMOTION_FILE = "emotion_net.pt"
AU_HEAD_FILE = "au_head.pt"
#: Version of the AU head's default mapping (au_head.MAPPING): change it whenever MAPPING, FEATURES or
#: WEAK_GAIN change, so that the rule train_au_head rebuilds the head.
MAPPING_VERSION = "2"
#: How emotions are scored (config models.emotion_source); those in FER_SOURCES read the FER network's
#: fer_* columns, which the extraction computes only when asked (``FaceAnalyzer(fer=True)``).
EMOTION_SOURCES = ("expressions", "fer", "mean")
FER_SOURCES = ("fer", "mean")
MODEL_FILE_NAMES = (LANDMARKER_FILE, BLENDSHAPE_FILE, CANONICAL_FILE, EMOTION_FILE, AU_HEAD_FILE)
