"""Tools for developing toyemerge, not part of the installed package: the benchmark and its tutorial-loop
baseline (`python -m devtools.bench`), the kill-and-damage check (`python -m devtools.chaos`), and
synthetic MNIST-format data for tests and demos. Run them from the checkout."""
