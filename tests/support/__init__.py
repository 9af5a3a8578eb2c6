"""Helpers shared by several test folders (imported as `support.<module>`; tests/ is on sys.path)."""
