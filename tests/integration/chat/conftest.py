"""Chat on moto: the catalog's world (accounts, shops) and real tokens."""

from tests.integration.catalog.conftest import World, fast_argon2, world

__all__ = ["World", "fast_argon2", "world"]
