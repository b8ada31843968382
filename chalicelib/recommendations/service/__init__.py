"""Recommendations' use cases: ``serving`` (a user's list, related products, the model in
use) and ``workflow`` (the scheduled training: extract → train → evaluate → publish)."""
