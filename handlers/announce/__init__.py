"""通知: staff and grid workers compose notices in private and send them to the groups in scope, now or later."""
