"""Notifications' use cases: ``deliver`` (bus events → notifications, via ``rules``),
``inbox`` (list, count, mark read, preferences), ``digest`` (the chat email digest).
``directory`` is the port to the capabilities that know shops, staff, admins and emails."""
