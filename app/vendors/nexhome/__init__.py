"""NEXhome IoT cloud (access control and intercom): signed REST client and message consumer.

signing.py (guide 3.3), endpoints.py (every path and body shape of SiteKit's endpoint model,
one module so the real list can replace it), models.py (typed records), client.py
(`NexhomeClient`), live.py (`NexhomeLive`, the at-least-once message consumer).
"""
