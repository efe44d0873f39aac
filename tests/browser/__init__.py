"""Browser tests: real Chromium against a running SafeLoop server (see conftest.py)."""
