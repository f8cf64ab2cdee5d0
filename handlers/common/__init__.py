"""Helpers features share (roles, private messages, scopes, times, typed choices, the place tree import); they know
no feature either."""
