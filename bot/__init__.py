"""Linli runtime: the only package that knows Telegram, WeCom, aiohttp and the outbox sender."""
