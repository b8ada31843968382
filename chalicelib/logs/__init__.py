"""Client logs (S10): apps send batches of log entries; they are queued, stored for a
while, streamed live to subscribed admins over the WebSocket and downloadable."""
