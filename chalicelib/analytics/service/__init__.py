"""Analytics use cases, one module per area: ``collect`` (client batches → the queue),
``aggregate`` (the consumer: lake, counters, sketches), ``dashboards`` (reads and CSV),
``facts`` (the lake's line format, bus events → facts)."""
