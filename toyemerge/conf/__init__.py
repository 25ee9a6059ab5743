"""The Hydra configs, package data: found by an installed toyemerge without a checkout (see toyemerge.config)."""
