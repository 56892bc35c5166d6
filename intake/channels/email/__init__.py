"""Inbound email: a Mailgun-style signed webhook and raw RFC 822 upload with an API key."""
