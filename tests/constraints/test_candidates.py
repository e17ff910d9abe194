"""Planning asks each rule which start times it leaves a day at a time (`Rule.allowed_starts`); an
explanation asks it time by time which subjects forbid one (`Rule.blocks`). The two must agree
for every rule, or a plan and the explanation of its absence would see different candidates."""

from __future__ import annotations

from collections import Counter
from datetime import date

from scheduler.build import _candidate_days, _candidate_starts, expand_model, find_term
from scheduler.config import load_config
from scheduler.context import PlanningContext
from scheduler.model import Attendee, Meeting, MunicipalityConfig
from scheduler.rules import Rule, load_rules
from scheduler.term_dates import local_datetime
from tests.builders import EXAMPLE, person, series, small_config


def _filters() -> list[Rule]:
    return [rule for rule in load_rules() if type(rule).blocks is not Rule.blocks]


def _dropped_by_rule(ctx: PlanningContext) -> Counter[str]:
    """Asserts the two answers agree on every candidate day (every workday: the context explains)
    and start of every meeting; counts the starts each rule drops, so a test sees it was asked."""
    dropped: Counter[str] = Counter()
    for occ in ctx.occurrences:
        starts = _candidate_starts(ctx, occ.series)
        for day in _candidate_days(ctx, occ.series, occ.period.start, occ.period.end):
            for rule in _filters():
                one_by_one = [start for start in starts if not rule.blocks(ctx, occ, day, start)]
                assert rule.allowed_starts(ctx, occ, day, starts) == one_by_one, (rule.name, occ.uid, day)
                dropped[rule.name] += len(starts) - len(one_by_one)
    return dropped


def _familiemoede(config: MunicipalityConfig, day: date) -> Meeting:
    """A booked meeting at 13:00-14:00 of the first series' named people, at that series' site."""
    first = next(s for s in config.series if s.required_people)
    ctx = expand_model(config, find_term(config, config.terms[0].id))
    site = next(occ.site for occ in ctx.occurrences if occ.series.id == first.id)
    return Meeting(
        uid="familiemoede-t1.0@moedeplan",
        series="familiemoede-t1",
        occurrence=0,
        title="Familiemøde",
        unit=first.unit,
        site=site,
        start=local_datetime(day, 13 * 60),
        end=local_datetime(day, 14 * 60),
        attendees=[
            Attendee(person=pid, role="paedagogisk_leder", required=True, seat=f"required_people[{i}]")
            for i, pid in enumerate(first.required_people)
        ],
        one_off=True,
        locked=True,
    )


def test_every_rule_allows_the_starts_it_does_not_block_on_the_example() -> None:
    config = load_config(EXAMPLE)
    term = find_term(config, "foraar-2027")
    booked = [_familiemoede(config, date(2027, day, 1 + 7 * k)) for day in (2, 3) for k in range(3)]
    ctx = expand_model(config, term, explain=True, booked=booked)
    dropped = _dropped_by_rule(ctx)
    # each rule the example can exercise forbade some of the times it was asked about
    assert {"holidays", "allowed_weekdays", "time_window", "availability", "booked_meetings"} <= {
        name for name, n in dropped.items() if n
    }, dropped


def test_the_order_between_series_allows_what_it_does_not_block() -> None:
    config = small_config(
        staff=[person("leder")],
        series=[
            series("kursus", title="Kursus", chair="leder"),
            # after the 2nd weekly course, so not in week 1 of its first fortnight
            series(
                "analyse",
                title="Analyse",
                chair="leder",
                cadence="fortnightly",
                after={"series": "kursus", "meetings": 2},
            ),
        ],
    )
    ctx = expand_model(config, find_term(config, config.terms[0].id), explain=True)
    assert _dropped_by_rule(ctx)["after_series"] > 0
