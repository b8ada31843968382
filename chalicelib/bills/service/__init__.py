"""Bill posts' use cases: ``posts`` (create, read, decide, feed, likes, replies) and
``verification`` (the pipeline: checks, OCR, the authenticity model, the decision)."""
