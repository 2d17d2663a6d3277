"""The demo study simulator: webcam-like recordings of a real face with planted reactions.

- :mod:`mimicry.simulate.cohort`: the demo's sheets (participants, EQ answers, stimulus log) from a seed.
- :mod:`mimicry.simulate.face`: the source photograph, its MediaPipe mesh and a webcam framing.
- :mod:`mimicry.simulate.expressions`: displacements of the mesh for each simulated expression.
- :mod:`mimicry.simulate.plan`: the ground truth (gains, reactions, quality problems), drawn from a seed.
- :mod:`mimicry.simulate.render`: piecewise-affine warping and webcam life, streamed to an mp4.
- :mod:`mimicry.simulate.recovery`, :mod:`mimicry.simulate.moderation`, :mod:`mimicry.simulate.power`: the
  demo checked against its planted truth, and the power of the study design.
"""
