"""Shops and catalog (S2): shops, products, images, offers, codes, site config, search."""
