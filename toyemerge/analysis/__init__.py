"""Emergence analysis of a model family, as numbers: a pure function of its saved per-example outputs.

Scores of scaling curves (scores), bootstrap intervals and the test-subset study (resolution),
predicting the sharp curve from the smooth one (prediction), sparse scale grids (sampling), the
sharpness map (sharpness), all of it for one family (tables). Nothing here draws (toyemerge.plots)
or imports torch.
"""
