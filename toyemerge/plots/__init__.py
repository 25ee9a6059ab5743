"""All drawing: figures from numbers that toyemerge.metrics and toyemerge.analysis computed. Matplotlib only.

save.py saves a figure as PNG and PDF (written whole, laid out once); panels.py draws one metric of
results.csv against parameter count; mirage, resolution, sampling and sharpness draw the analysis;
reconstructions and sequences draw the figures only one task kind has.
"""
