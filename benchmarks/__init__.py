"""Benchmarks of the nanscope analysis: precision ablations, scaling, and profiling (see README.md).

Run them from the repository root as modules, e.g. `.venv/bin/python -m benchmarks.ablation`. This folder is
not part of the installed `nanscope` package; it needs TensorFlow (to build the graphs) besides nanscope.
"""
