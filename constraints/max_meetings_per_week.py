"""A person's own ceiling on meetings per week (e.g. a part-timer who can give two afternoons)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from constraints._text import person_name
from scheduler.context import PlanningContext
from scheduler.rules import Rule
from scheduler.term_dates import TZ, week_monday


class MaxMeetingsPerWeek(Rule):
    name = "max_meetings_per_week"
    level = "hard"
    title_da = "Højst antal møder om ugen"
    explanation_da = "Ingen får flere møder på en uge, end deres aftale tillader."
    order = 43

    def post(self, ctx: PlanningContext) -> None:
        model = ctx.model
        booked: Counter[tuple[str, date]] = Counter(
            (a.person, week_monday(m.start.astimezone(TZ).date())) for m in ctx.booked for a in m.attendees
        )
        for pid, person in ctx.people.items():
            limit = person.max_meetings_per_week
            if limit is None:
                continue
            per_week: dict[date, list] = defaultdict(list)
            for occ in ctx.occurrences_of(pid):
                weeks: dict[date, list] = defaultdict(list)
                for option in occ.options:
                    weeks[week_monday(option.day)].append(option.var)
                for week, vars_in_week in weeks.items():
                    if len(weeks) == 1:
                        per_week[week].append(occ.attends[pid])
                        continue
                    both = model.new_bool_var(f"in_week[{occ.uid}|{pid}|{week}]")
                    model.add(both >= occ.attends[pid] + sum(vars_in_week) - 1)
                    per_week[week].append(both)
            for week, lits in per_week.items():
                room = max(0, limit - booked[(pid, week)])  # booked meetings count too
                if len(lits) > room:
                    ctx.enforce(model.add(sum(lits) <= room), self.name, pid)

    def describe(self, ctx: PlanningContext, subject: str) -> str:
        limit = ctx.people[subject].max_meetings_per_week
        return f"{person_name(ctx, subject)} kan højst deltage i {limit} møder om ugen."


RULE = MaxMeetingsPerWeek()
