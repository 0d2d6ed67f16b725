"""The AP pairing wizard (Pair screen)."""
