"""The Messages screen: check a resident's number, send a test SMS or WhatsApp message."""
