"""Recommendations (S9): top-N products per user and related products, from an
item-item model trained on a schedule and served with onnxruntime."""
