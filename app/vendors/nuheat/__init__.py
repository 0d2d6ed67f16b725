"""Nuheat thermostats (OpenAPI v1): sign-in (auth.py), typed models (models.py), the API
client with its rate governor (client.py) and the local schedule rules (schedule_rules.py)."""
