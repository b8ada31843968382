"""Real-time capability: WebSocket connections, message routing and delivery."""
