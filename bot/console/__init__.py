"""The console's web side (社区工作台): aiohttp routes, cookies and CSRF, and the templates; the logic is in
handlers/console/."""
