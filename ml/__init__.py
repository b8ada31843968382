"""Training and evaluation of Bazaar's models (never packaged into a Lambda)."""
