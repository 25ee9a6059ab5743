"""Rescore: the analysis of any model family's outputs, not only the toys' (`python -m toyemerge.rescore`)."""
