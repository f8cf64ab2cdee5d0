"""活动: events published to groups, sign-ups with a waiting list, reminders, check-in, and the organisers' tools."""
