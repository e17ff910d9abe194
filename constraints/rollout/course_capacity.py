"""Course groups: the teams of one group together fit the course's capacity, leader teams sit
in groups of their own, and a round holds no more groups than the course has (`max_groups`)."""

from __future__ import annotations

from scheduler.bal_facts import course_of
from scheduler.rollout_rules import GroupSlot, RolloutContext, RolloutRule


class CourseCapacity(RolloutRule):
    name = "bal_course_capacity"
    level = "hard"
    title_da = "Kursusholdenes pladser"
    explanation_da = (
        "Et kursushold har plads til kursets antal deltagere; lederteam går på hold for sig "
        "(lederkurset, når der er et), og en runde har højst kursets antal hold."
    )
    order = 40

    def post(self, ctx: RolloutContext) -> None:
        """A team larger than its course's capacity can come in no round. When the course has
        `max_groups`, each round gets that many group slots: every team of the round sits in one
        slot of its course, a slot's sizes add up to at most the capacity, and a slot shared by
        leader and other teams' course is one kind or the other. Without `max_groups` groups are
        packed after the solve (any number fits)."""
        model = ctx.model
        for team in ctx.teams:
            if team.size > course_of(ctx.bal, team).capacity:
                for number in ctx.round_numbers():
                    model.add(ctx.in_round[team.id, number] == 0)
        courses = [ctx.bal.course] + ([ctx.bal.leader_course] if ctx.bal.leader_course is not None else [])
        for course in courses:
            if course.max_groups is None:
                continue
            takers = [t for t in ctx.teams if course_of(ctx.bal, t) is course]
            mixed = len({t.leaders for t in takers}) > 1
            for rnd in ctx.rounds:
                slots = [GroupSlot(rnd.number, course, k) for k in range(1, course.max_groups + 1)]
                for slot in slots:
                    slot.members = {
                        t.id: model.new_bool_var(f"group[{t.id},{rnd.number},{slot.number}]") for t in takers
                    }
                    if mixed:
                        slot.leaders = model.new_bool_var(f"leader_group[{rnd.number},{slot.number}]")
                    sizes = sum(t.size * slot.members[t.id] for t in takers)
                    model.add(sizes <= course.capacity)
                    if slot.leaders is not None:
                        for t in takers:
                            kind = slot.leaders if t.leaders else ~slot.leaders
                            model.add_implication(slot.members[t.id], kind)
                for t in takers:
                    model.add(sum(s.members[t.id] for s in slots) == ctx.in_round[t.id, rnd.number])
                for before, after in zip(slots, slots[1:], strict=False):  # fill groups in order
                    model.add(
                        sum(t.size * before.members[t.id] for t in takers)
                        >= sum(t.size * after.members[t.id] for t in takers)
                    )
                ctx.slots.extend(slots)


RULE = CourseCapacity()
