"""Identity and access (S1): accounts, verification, sessions, admins, addresses."""
