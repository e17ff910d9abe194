"""Real servers on 127.0.0.1 for tests: an SMTP server (aiosmtpd) and a CalDAV server (Radicale).

Each listens on a port the OS hands out, keeps its state in memory or a tmp folder, and is
started and stopped by the fixtures in `tests/conftest.py`.
"""
