"""Use-case tests of the catalog run on the in-memory repository (tests/fakes/catalog.py)."""

from tests.fakes.catalog import bus, catalog_repo, identity, media, media_objects

__all__ = ["bus", "catalog_repo", "identity", "media", "media_objects"]
