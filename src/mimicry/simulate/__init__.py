"""The demo study simulator: webcam-like recordings of a real face with planted reactions.

- :mod:`mimicry.simulate.face`: the source photograph, its MediaPipe mesh and a webcam framing.
- :mod:`mimicry.simulate.expressions`: displacements of the mesh for each simulated expression.
- :mod:`mimicry.simulate.plan`: the ground truth (gains, reactions, quality problems), drawn from a seed.
- :mod:`mimicry.simulate.render`: piecewise-affine warping and webcam life, streamed to an mp4.
"""
