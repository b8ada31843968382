"""Notifications (S8): made from bus events for the right receivers, stored, pushed over the
WebSocket, emailed where the receiver wants it; listed and marked read over REST."""
