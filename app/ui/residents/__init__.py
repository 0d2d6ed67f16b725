"""The Residents screen: persons, their PINs and QR codes, panel directories, announcements."""
