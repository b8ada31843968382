"""The reviews use cases: ``reviews`` (write, edit, delete, reply, votes, moderation and the
lists), ``aggregates`` (ratings kept current from review events), ``scoring`` (sentiment
and problem categories, asynchronously) and ``analytics`` (for sellers and admins)."""
