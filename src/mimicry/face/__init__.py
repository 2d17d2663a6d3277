"""The face scorer: MediaPipe landmarks, alignment to a canonical face, expression and emotion networks.

Pipeline: ``analyzer.FaceAnalyzer`` (pixels -> aligned mesh, pose, appearance emotions; the costly
step), then ``scorer.score_landmarks`` (aligned mesh + the participant's neutral reference ->
20 expressions and 7 emotions, 0-100; cheap, re-run for a new model or reference).
"""

#: Model files in config models.dir (each with a <stem>.provenance.json beside it). Kept here, in a module
#: that imports nothing heavy, so the workflow can name them without loading torch or MediaPipe.
CANONICAL_FILE = "canonical_face.npy"
EMOTION_FILE = "emotion_net.pt"
AU_HEAD_FILE = "au_head.pt"
MODEL_FILE_NAMES = (CANONICAL_FILE, EMOTION_FILE, AU_HEAD_FILE)
