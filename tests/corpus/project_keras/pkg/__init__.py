"""A Keras 3 model package whose entry point is a function (pkg/model.py:build_model)."""
