"""/start, /help that fits the sender's roles, /me."""
