"""Shops and catalog: shops, products, images, offers, codes, site config, search."""
