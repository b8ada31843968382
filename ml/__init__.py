"""Training and evaluation code (never imported by a Lambda)."""
