"""NXCloud messaging (SMS, WhatsApp, number check) for residents' credentials.

signing.py: the convention's MD5 signature over the exact body bytes sent; models.py:
phone numbers, message limits, the APIs' code tables and replies; client.py:
`NxcloudClient`, the calls and their errors (ambiguous sends are never retried).
"""
