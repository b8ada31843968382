"""Orders, payments and inventory (S4): checkout, the saga's steps, order lifecycle."""
