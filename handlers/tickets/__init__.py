"""Requests: from a resident's message to a confirmed, escalated, fixed and verified ticket."""
