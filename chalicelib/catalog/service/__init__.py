"""The catalog's use cases, one module per area (``from chalicelib.catalog.service import
products``)."""
