"""The training side: data to tensors, models trained, runs saved, runs exported. The only part that imports torch.

tasks/ turns a family's data into tensors, batches, a loss and saved outputs (the torch twin of each
task kind in toyemerge.metrics); fit.py and fit_seeds.py are the training loops; family.py names a
family's runs (their ids cover the data); sweep.py trains what the run store lacks; export.py copies
the store's runs into experiments/<exp>/ (torch-free).
"""
