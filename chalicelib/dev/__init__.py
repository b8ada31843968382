"""Development-only pieces: demo data, the local mailbox, the payment simulator.

Registered on the local and test stages only; no capability imports this package.
"""
