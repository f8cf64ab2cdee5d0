"""The sandbox: the outside world faked on 127.0.0.1 (a Bot-API-compatible server, a WeCom API), a chat page in the
browser and demo data. The runtime in `bot/` never needs it; the CLI's sandbox command and the tests start it."""
