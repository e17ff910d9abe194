"""The publish page's ICS links are built on MOEDEPLAN_PUBLIC_URL, never on a hard-coded host."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.jobs import Worker
from tests.web.conftest import Site
from tests.web.site import open_site

PUBLIC = "https://intra.ballerup.dk/moedeplan"


def test_the_publish_pages_links_use_the_public_url(tmp_path: Path) -> None:
    state = open_site(tmp_path, run_worker=False, public_url=PUBLIC)
    try:
        with TestClient(create_app(state.settings, state=state), follow_redirects=True) as client:
            site = Site(client, state, Worker(state.sessions, state.settings))
            plan = site.solve("admin")
            page = client.get(f"/publish?plan={plan}")
            assert page.status_code == 200, page.text
            links = re.findall(r'value="([^"]*\.ics\?token=[^"]*)"', page.text)
            assert len(links) >= 3, page.text  # people, units and districts
            for link in links:
                assert link.startswith(f"{PUBLIC}/calendars/"), link
            assert "127.0.0.1" not in page.text and "localhost" not in page.text
    finally:
        state.sessions.kw["bind"].dispose()
