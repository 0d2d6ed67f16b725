"""Nuheat thermostats (OpenAPI v1).

auth.py: sign-in (OAuth2 code + PKCE, loopback redirect, id_token checks, rotated refresh,
revocation); models.py: the API's models and temperature conversion; client.py: the API
calls through the rate governor (app/core/ratelimit.py); schedule_rules.py: the schedule
rules checked before a PUT and while editing.
"""
