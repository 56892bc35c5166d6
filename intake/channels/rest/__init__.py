"""The REST channel: POST /api/v1/messages/ (one, classified in the request), the batch endpoint
and the raw-email upload. The views live in intake/api.py; these fixtures are sample requests."""
