"""The service layer: what the API does, as plain typed functions, one module per resource.

Both the JSON routes (`api.routes`) and the web pages (`api.web`) call these functions, so a page
never allows what the API refuses, and mypy checks every call. A service takes the database
session, the caller (`Principal`) and typed arguments, returns typed results, and raises the
domain exceptions of `api.errors` / `api.db`, which one table turns into HTTP statuses. Services
hold no HTTP: no requests, responses or headers. Queries live in `api.storage`; the services
commit where a change must be stored before anything is sent or answered.
"""
