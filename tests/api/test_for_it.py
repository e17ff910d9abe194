"""What municipal IT meets first: /docs without internet, YAML uploads, links on the public address.

The real app on a real database (SQLite and PostgreSQL through the `service` fixture, or the
service fake with a users file), driven over HTTP as curl would.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from api.settings import DEFAULT_PUBLIC_URL, AppSettings
from tests.api.databases import Db
from tests.api.test_service import TWO_DISTRICTS, Service, auth
from tests.api.test_service import service as service  # noqa: F401  (the fixture: app, database, worker)
from tests.fakes.service import open_service

# --------------------------------------------------------------------------- /docs offline

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(?:url|spec-url)\s*[:=]\s*["']([^"']+)["']""")


def _referenced(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize(("page", "kinds"), [("/docs", {"js", "css"}), ("/redoc", {"js"})])
def test_api_docs_load_only_the_apps_own_assets(service: Service, page: str, kinds: set[str]) -> None:
    """No CDN: every script, style and the schema come from the app itself, and they load."""
    html = service.client.get(page)
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    urls = _referenced(html.text)
    assert urls, html.text
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), f"{page} loads {url}"
    assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text
    found: set[str] = set()
    for url in urls:
        answer = service.client.get(url)
        assert answer.status_code == 200, url
        kind = answer.headers["content-type"]
        if url.endswith(".js"):
            assert "javascript" in kind and len(answer.content) > 100_000, url  # the real bundle
            found.add("js")
        elif url.endswith(".css"):
            assert "text/css" in kind, url
            found.add("css")
    assert kinds <= found
    assert "/openapi.json" in urls or "'/openapi.json'" in html.text or '"/openapi.json"' in html.text
    assert "validator.swagger.io" not in html.text


# --------------------------------------------------------------------------- YAML uploads


@pytest.mark.parametrize("kind", ["application/yaml", "text/yaml", "application/x-yaml; charset=utf-8"])
def test_a_config_uploads_as_the_yaml_file_itself(service: Service, kind: str) -> None:
    headers = {**auth("admin"), "Content-Type": kind}
    stored = service.client.post(
        "/configs",
        params={"name": "ballerup", "reason": "første"},
        content=TWO_DISTRICTS.encode(),
        headers=headers,
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["name"] == "ballerup" and stored.json()["reason"] == "første"
    read = service.client.get(f"/configs/{stored.json()['id']}/yaml", headers=auth("admin"))
    assert read.json() == TWO_DISTRICTS
    leader = {**auth("baltorp"), "Content-Type": kind}
    check = service.client.post(
        "/configs/validate", params={"name": "x"}, content=TWO_DISTRICTS, headers=leader
    )
    assert check.status_code == 200 and check.json() == {"valid": True, "problems": []}
    json_still = service.client.post(
        "/configs", json={"name": "j", "yaml": TWO_DISTRICTS}, headers=auth("admin")
    )
    assert json_still.status_code == 201


def test_bad_yaml_is_a_4xx_saying_where_never_a_500(service: Service) -> None:
    headers = {**auth("admin"), "Content-Type": "application/yaml"}
    broken = "municipality: X\nstaff:\n  - id: a\n   name: b\n"  # line 4 is indented wrongly
    answer = service.client.post("/configs", params={"name": "x"}, content=broken, headers=headers)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["field"] == "yaml" and body["detail"] == "konfigurationen er ikke gyldig"
    # where it stops, as the config's parser says it (in Danish once issue 16's errors land)
    assert any(re.search(r"(line|linje) 4, (column|kolonne) 4", p) for p in body["problems"]), body

    latin1 = "municipality: Ballerup\nnavn: Søborg\n".encode("latin-1")
    answer = service.client.post("/configs", params={"name": "x"}, content=latin1, headers=headers)
    assert answer.status_code == 422 and answer.json()["field"] == "yaml"
    assert "UTF-8" in answer.json()["detail"] and "linje 2" in answer.json()["detail"]

    nameless = service.client.post("/configs", content=TWO_DISTRICTS, headers=headers)
    assert nameless.status_code == 422 and nameless.json()["field"] == "name"

    other = {**auth("admin"), "Content-Type": "text/csv"}
    refused = service.client.post("/configs", params={"name": "x"}, content="a,b", headers=other)
    assert refused.status_code == 415 and "YAML" in refused.json()["detail"]
    assert refused.json()["field"] == "Content-Type"
    garbage = service.client.post("/configs", content=b"{not json", headers=auth("admin"))
    assert garbage.status_code == 422
    assert service.client.get("/configs", headers=auth("admin")).json() == []


def test_the_openapi_schema_offers_json_and_yaml_bodies(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    for path in ("/configs", "/configs/validate"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert set(content) == {"application/json", "application/yaml", "text/yaml", "application/x-yaml"}
        assert content["application/json"]["schema"]["required"] == ["name", "yaml"]
        assert content["application/yaml"]["schema"]["type"] == "string"


# --------------------------------------------------------------------------- MOEDEPLAN_PUBLIC_URL

PUBLIC = "https://kalender.ballerup.dk/moedeplan"


def test_every_feed_link_uses_the_public_url(db: Db, tmp_path: Path) -> None:
    with open_service(db.url, tmp_path, public_url=PUBLIC + "/") as site:
        for kind, reader, who in [
            ("person", "psykolog-a", "psyk-a"),
            ("district", "baltorp", "baltorp"),
            ("unit", "baltorpskolen", "admin"),
        ]:
            link = site.link(kind, reader, who)
            assert link.status_code == 200, link.text
            url, webcal = link.json()["url"], link.json()["webcal"]
            assert url.startswith(f"{PUBLIC}/calendars/{kind}/{reader}.ics?token="), url
            assert webcal == "webcal://" + url.removeprefix("https://")
            assert DEFAULT_PUBLIC_URL not in link.text and "127.0.0.1" not in link.text
            feed = site.client.get(urlsplit(url).path.removeprefix("/moedeplan") + "?" + urlsplit(url).query)
            assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content


def test_a_public_url_that_is_not_an_address_is_refused_naming_the_setting() -> None:
    for bad in ("moedeplan.ballerup.dk", "ftp://x", "https://x/?a=1", "https://"):
        with pytest.raises(ValidationError, match="MOEDEPLAN_PUBLIC_URL"):
            AppSettings(public_url=bad)
    assert AppSettings(public_url=" https://x.dk/a/ ").link("/b") == "https://x.dk/a/b"
