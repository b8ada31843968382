"""Recommendations: the evaluation protocol of issue 16, training and evaluation commands."""
