"""Servers on 127.0.0.1 for tests: an SMTP server (aiosmtpd), a CalDAV server (Radicale), and small
endpoints speaking Exchange's protocols (`ews.py`: EWS SOAP; `graph.py`: Microsoft Graph JSON over
HTTPS with a token issuer), with `exchange_items.py` holding the items the Exchange tests send,
and bare TCP endpoints for failures (`tcp.py`: a closed port, a server that never answers).

Each listens on a port the OS hands out, keeps its state in memory or a tmp folder, and is
started and stopped by fixtures (`tests/conftest.py`; the Exchange tests' own modules).
"""
