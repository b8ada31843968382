"""Bills (S6): OCR extraction evaluation, tampered-receipt generation, the authenticity
model's training and evaluation. Training-only packages: requirements-train-bills.txt."""
