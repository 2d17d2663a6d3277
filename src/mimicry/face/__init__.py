"""The face scorer: MediaPipe landmarks, alignment to a canonical face, expression and emotion networks.

Pipeline: ``analyzer.FaceAnalyzer`` (pixels -> aligned mesh, pose, appearance emotions; the costly
step), then ``scorer.score_landmarks`` (aligned mesh + the participant's neutral reference ->
20 expressions and 7 emotions, 0-100; cheap, re-run for a new model or reference).
"""
