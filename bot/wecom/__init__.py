"""The WeCom (企业微信) adapter, shaped like the Telegram one: `mapping` (decrypted callbacks → neutral items),
`callbacks` (the aiohttp routes WeCom calls), `names` (senders' names from the contacts' user/get), `transport`
(outbox rows → WeCom), `api` (the HTTP client) and `app` (what the composition root wires).

Surfaces (see docs/wecom.md for what each can and cannot do):
- the AI bot (智能机器人) callback: JSON, group @mentions and 1:1 messages, one reply per message via `response_url`;
- the self-built app callback: XML, 1:1 messages; the app sends 1:1 (message/send) and to app group chats
  (appchat/send) with an access_token it fetches and caches;
- group robot webhooks: send-only, one per group, at most 20 messages a minute.

Files (exports) are uploaded first (the app's media/upload, or the robot's webhook/upload_media) and sent as a
`file` message by the media_id WeCom returns; the AI bot's `response_url` cannot carry a file.
"""
