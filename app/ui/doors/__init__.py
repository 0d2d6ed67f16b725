"""The Doors screen (NEXhome door and lift tests): page.py is the screen."""
