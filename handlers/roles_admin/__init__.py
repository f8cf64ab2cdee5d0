"""Roles in chat: staff grant (a one-time deep link for one person), revoke and hand over roles; every change is
recorded."""
