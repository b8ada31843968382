"""Reviews (S5): who may review, replies, moderation, aggregates, sentiment, analytics."""
