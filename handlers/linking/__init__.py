"""关联账号: one person on Telegram and WeCom."""
