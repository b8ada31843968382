"""Chat: conversations between a shopper and a shop, over REST and the WebSocket API."""
