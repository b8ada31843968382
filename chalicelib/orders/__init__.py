"""Orders, payments and inventory: checkout, the saga's steps, order lifecycle."""
