"""Bill posts (S6): a shopper's photo of a bill, read by OCR, scored for authenticity."""
