"""AI risk targeting: leakage-free features, calibrated models, evaluation, outcomes."""
