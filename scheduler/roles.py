"""The roles of the meeting structure, with the Danish labels users read."""

from __future__ import annotations

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
