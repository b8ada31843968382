"""Cart and wishlist: live stock and prices, discount codes, abandoned carts."""
