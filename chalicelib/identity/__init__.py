"""Identity and access: accounts, verification, sessions, admins, addresses."""
