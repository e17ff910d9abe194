"""Pages a leader reads at a glance (issue 16): the overview's weeks, titles, holidays and legend;
whose meetings a district shows; the load charts' labels and people; the solve page's progress
from its first second and its result without a click.

TestClient against the real app on a SQLite file (`tests.web.site`); the browser checks of the
bundled example's size are in test_web_browser.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from api import storage
from api.db import session_scope
from api.orm import Job
from api.web import charts
from scheduler.config import config_from_data, load_config, meeting_districts
from scheduler.model import Attendee, Meeting
from scheduler.term_dates import local_datetime
from tests.builders import hand_plan, person, series, small_config_data
from tests.web.conftest import Site
from tests.web.site import TWO_DISTRICTS

BALLERUP = Path(__file__).resolve().parents[2] / "examples" / "ballerup.yaml"


# --------------------------------------------------------------------------- the overview


def test_the_overview_shows_weeks_weekdays_titles_holidays_and_a_legend(site: Site) -> None:
    site.solve("baltorp")
    page = site.client.get("/overview").text  # a Baltorp leader: Baltorp's meetings
    for day in ("mandag", "tirsdag", "onsdag", "torsdag", "fredag"):
        assert f'<th scope="col">{day}</th>' in page
    assert re.search(r'class="wkno">uge&nbsp;7<', page)  # vinterferie's week
    assert '<span class="holiday">vinterferie</span>' in page
    assert re.search(r'<td class="ferie">', page)
    legend = page[page.index('id="legend"') : page.index("</section>", page.index('id="legend"'))]
    assert "Koordineringskonference, skole" in legend and "Skoleferie" in legend and "Helligdag" in legend
    titles = re.findall(r'<span class="ti">([^<]+)</span>', page)
    assert titles and all(t.strip() for t in titles)
    assert "Koordineringskonference, skole, Baltorpskolen" in titles  # the full title in a district
    assert "Skovlunde Skole" not in " ".join(titles)
    # Every district at once: the chips drop the type their colour shows, the tooltip keeps it.
    everything = site.client.get("/overview?district=").text
    assert '<span class="ti">Skovlunde Skole</span>' in everything
    assert "Koordineringskonference, skole, Skovlunde Skole" in everything


def test_an_unknown_district_is_a_danish_404_naming_it(site: Site) -> None:
    site.solve("baltorp")
    page = site.client.get("/overview?district=atlantis")
    assert page.status_code == 404 and "Distrikt «atlantis»" in page.text


def test_print_hides_navigation_and_buttons() -> None:
    css = (Path(__file__).resolve().parents[2] / "api" / "web" / "static" / "app.css").read_text()
    rule = css[css.index("@media print") :]
    for hidden in (".top", ".toolbar", "button", "nav"):
        assert hidden in rule.split("display: none")[0]


def _at(config_path: Path, series: str, day: date, people: list[str]) -> Meeting:
    start = local_datetime(day, 9 * 60)
    return Meeting(
        uid=f"{series}.1",
        series=series,
        occurrence=1,
        title=series,
        unit="socialafsnittet",
        site="raadhus",
        start=start,
        end=start + timedelta(hours=2),
        attendees=[Attendee(person=p, role="x", required=True, seat="required_people[0]") for p in people],
    )


def test_a_district_takes_part_in_a_cross_district_meeting_through_its_people() -> None:
    """Socialafsnittet serves every district; its Det Kreative Råd of Baltorp belongs to Baltorp
    (its people serve Baltorp), the day's Fronten to the district whose FSR is on duty."""
    config = load_config(BALLERUP)
    day = date(2027, 3, 3)
    council = _at(
        BALLERUP, "kreative-raad-baltorp", day, ["fsr-baltorp", "skoleleder-baltorp", "klubleder-syd"]
    )
    assert meeting_districts(config, council) == {"baltorp"}
    front = _at(BALLERUP, "fronten", day, ["fsr-skovlunde", "familieteam-a"])
    assert meeting_districts(config, front) == {"skovlunde"}
    nobody_bound = _at(BALLERUP, "fronten", day, ["leder-socialafsnit"])
    assert len(meeting_districts(config, nobody_bound)) == len(config.districts)


# --------------------------------------------------------------------------- the load page


def test_the_load_page_labels_axes_and_totals_and_names_every_specialist_in_full(site: Site) -> None:
    site.solve("baltorp")
    page = site.client.get("/load").text
    people = page[page.index('id="people-chart"') : page.index("</figure>")]
    for words in ("I alt", "Uge", "Timer pr. uge", "Grænse for travl uge", "Over grænsen"):
        assert words in people, words
    assert set(re.findall(r'<text class="name"[^>]*>([^<]+)</text>', people)) == {
        "Psykolog A",
        "Psykolog B",
        "Socialrådgiver",
    }
    districts = page[page.index('id="district-chart"') :]
    assert "Baltorp (i alt" in districts and "Timer pr. uge" in districts
    assert f'viewBox="0 0 {charts.WIDTH} ' in people  # drawn wide, scaled to the page (app.css)


def test_the_specialists_come_from_the_config_not_a_fixed_list() -> None:
    """A role the municipality adds under `extra_roles` counts, as it does for fair load; a
    leader does not."""
    data = small_config_data(
        extra_roles={"sprogpaedagog": "Sprogpædagog"},
        series=[series("m")],
        staff=[person("leder"), person("sprog-a", "sprogpaedagog", name="Sprogpædagog med et langt navn")],
    )
    config = config_from_data(data)
    start = local_datetime(date(2027, 9, 7), 13 * 60)
    meeting = Meeting(
        uid="m.1",
        series="m",
        occurrence=1,
        title="m",
        unit="nordskolen",
        site="skolen",
        start=start,
        end=start + timedelta(hours=2),
        attendees=[
            Attendee(person="leder", role="paedagogisk_leder", required=True, seat="chair"),
            Attendee(person="sprog-a", role="sprogpaedagog", required=True, seat="required_roles[0]"),
        ],
    )
    load = charts.compute_load(config, hand_plan("efteraar", meeting))
    assert list(load.people) == ["sprog-a"]
    assert sum(load.people["sprog-a"].values()) == 2.0
    labels = charts.Labels("t", "d", "t", "Uge", "Timer pr. uge", "I alt", "Grænse", "Over")
    svg = charts.people_chart(load, {"sprog-a": "Sprogpædagog med et langt navn"}, labels)
    label = re.search(r'<text class="name" x="(\d+)"', svg)
    assert label is not None and int(label.group(1)) >= len("Sprogpædagog med et langt navn") * 6


# --------------------------------------------------------------------------- the solve page


def _start_job(site: Site) -> tuple[int, str]:
    csrf = site.sign_in("baltorp")
    with session_scope(site.state.sessions) as db:
        config_id = storage.save_config(db, "fremskridt", TWO_DISTRICTS, "Kommunens IT", "test").id
    started = site.client.post("/solve", data={"csrf": csrf, "config_id": str(config_id), "time_limit": "60"})
    return int(str(started.url).rstrip("/").split("/")[-1]), started.text


def test_the_solve_page_shows_progress_from_the_first_second(site: Site) -> None:
    job_id, first = _start_job(site)
    assert 'data-phase="job_queued"' in first and "I kø" in first
    with session_scope(site.state.sessions) as db:
        assert storage.claim_job(db, job_id, "test-worker") is not None
    with session_scope(site.state.sessions) as db:  # the worker builds the model: no solution yet
        storage.heartbeat(db, job_id, "test-worker", {"phase": "starter"})
        db.execute(
            update(Job).where(Job.id == job_id).values(started_at=datetime.now(UTC) - timedelta(seconds=12))
        )
    fragment = site.client.get(f"/solve/jobs/{job_id}/progress").text
    assert 'data-phase="phase_building"' in fragment and "Bygger modellen" in fragment
    assert 'value="20"' in fragment and "12 / 60 sekunder" in fragment  # 12 s of the 60 s limit
    with session_scope(site.state.sessions) as db:
        storage.heartbeat(db, job_id, "test-worker", {"phase": "løser", "solutions": 2, "elapsed_s": 3.0})
    fragment = site.client.get(f"/solve/jobs/{job_id}/progress").text
    assert "Løser" in fragment and "2 løsninger fundet" in fragment and "12 / 60 sekunder" in fragment


def test_the_result_shows_without_a_click_when_the_solve_ends(site: Site) -> None:
    job_id, _ = _start_job(site)
    running = site.client.get(f"/solve/jobs/{job_id}/progress", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in running.headers
    site.run_jobs()
    poll = site.client.get(f"/solve/jobs/{job_id}/progress", headers={"HX-Request": "true"})
    assert poll.headers.get("HX-Refresh") == "true"  # htmx reloads the page: the result is there
    assert "HX-Refresh" not in site.client.get(f"/solve/jobs/{job_id}/progress").headers
    page = site.client.get(f"/solve/jobs/{job_id}").text
    assert 'id="rules"' in page and 'data-state="done"' in page and "hx-trigger" not in page
    assert re.search(r'id="see-plan" href="/overview\?plan=\d+"', page)


def test_the_overview_reads_in_english_in_english_mode(site: Site) -> None:
    site.solve("baltorp")
    page = site.client.get("/overview?lang=en").text
    assert '<th scope="col">Monday</th>' in page and re.search(r'class="wkno">week&nbsp;7<', page)
    for words in ("Legend", "Public holiday", "School holiday", "Print / PDF", "Download as Excel"):
        assert words in page, words
    assert "Udskriv" not in page and "Skoleferie" not in page
