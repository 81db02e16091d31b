"""Model pieces for the TF1 corpus project."""
