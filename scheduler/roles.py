"""The roles of the meeting structure, with the Danish labels users read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.model import Person

KNOWN_ROLES: dict[str, str] = {
    "psykolog": "Psykolog (PPR)",
    "tale_hoerelaerer": "Tale-hørelærer (PPR)",
    "motorikkonsulent": "Motorikkonsulent (PPR)",
    "paedagogisk_vejleder": "Pædagogisk vejleder (PPR)",
    "ressourcepaedagog": "Ressourcepædagog (PPR, 0-6 år)",
    "sundhedsplejerske": "Sundhedsplejerske",
    "forebyggende_socialraadgiver": "Forebyggende socialrådgiver",
    "familieteam_raadgiver": "Socialrådgiver, Familieteamet",
    "ssp_konsulent": "SSP-konsulent",
    "ungeraadgiver": "Ungerådgiver",
    "uu_vejleder": "UU-vejleder",
    "ungeenheden": "Medarbejder, Ungeenheden",
    "distriktsleder": "Distriktsleder",
    "paedagogisk_leder": "Pædagogisk leder",
    "referent": "Referent",
    "leder_socialafsnit": "Leder, Socialafsnittet",
    "leder_ppr": "Leder, PPR",
    "frontmedarbejder": "Medarbejder i Fronten",
}

SPECIALIST_ROLES = frozenset(
    {
        "psykolog",
        "tale_hoerelaerer",
        "motorikkonsulent",
        "paedagogisk_vejleder",
        "ressourcepaedagog",
        "sundhedsplejerske",
        "forebyggende_socialraadgiver",
        "familieteam_raadgiver",
        "ssp_konsulent",
        "ungeraadgiver",
        "uu_vejleder",
        "ungeenheden",
    }
)
"""Shared staff serving several units: the people fair load and continuity are about."""

PPR_ROLES = (
    "psykolog",
    "paedagogisk_vejleder",
    "tale_hoerelaerer",
    "motorikkonsulent",
    "ressourcepaedagog",
)
"""PPR's professions: a BAL facilitator is "en medarbejder fra PPR" (faq-moedestruktur.txt)."""


FULL_TIME_HOURS = 37
"""A full-time week: loads are compared scaled to it (37 / a person's weekly_hours)."""


def full_time_scale(person: Person) -> float:
    """What a minute of this person's meetings weighs in a full-time week: a half-timer's twice."""
    return FULL_TIME_HOURS / person.weekly_hours


def fair_load_roles(extra_roles: Iterable[str]) -> frozenset[str]:
    """The roles whose holders fair load weighs: the shared specialists and every `extra_roles` id.

    A municipality adds a role under `extra_roles` for staff this catalogue does not know (an SSP
    worker, a sprogpædagog), and they share meetings like any specialist, so they count. Leaders,
    referents and front staff stay out: leaders chair their own meetings (a load no plan can move,
    which would hide the specialists' balance behind a constant), referents' turns are kept by
    continuity, and the front rota has its own rule.
    """
    return SPECIALIST_ROLES | frozenset(extra_roles)
