"""Cart and wishlist (S3): live stock and prices, discount codes, abandoned carts."""
