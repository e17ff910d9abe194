"""The web pages' words, in Danish (the default) and English, and dates the way each language writes them.

One table, so a missing translation is a test failure rather than an English word on a Danish page.
Domain texts the scheduler writes (rule titles, "hvorfor her?", proposal summaries) stay Danish in
both languages: they are the municipality's own terms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from scheduler.danish import DISTANCE_DA, MONTH_DA, WEEKDAY_DA, clock_da, long_date_da
from scheduler.term_dates import TZ

Lang = Literal["da", "en"]
LANGS: tuple[Lang, ...] = ("da", "en")
DEFAULT: Lang = "da"

WEEKDAYS: dict[Lang, list[str]] = {
    "da": list(WEEKDAY_DA),
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS: dict[Lang, list[str]] = {
    "da": list(MONTH_DA),
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

# key -> (Danish, English)
TEXTS: dict[str, tuple[str, str]] = {
    "app_name": ("Mødeplan", "Meeting plan"),
    "skip_to_content": ("Spring til indhold", "Skip to content"),
    "nav_overview": ("Oversigt", "Overview"),
    "nav_person": ("Person", "Person"),
    "nav_load": ("Belastning", "Load"),
    "nav_plan": ("Planlæg", "Plan"),
    "nav_absence": ("Fravær", "Absence"),
    "nav_publish": ("Udsend", "Publish"),
    "sign_in": ("Log ind", "Sign in"),
    "sign_out": ("Log ud", "Sign out"),
    "signed_in_as": ("Logget ind som", "Signed in as"),
    "language": ("Sprog", "Language"),
    "token": ("Dit token", "Your token"),
    "token_help": (
        "Indsæt det token, du fik af kommunens IT (det samme som til API'et).",
        "Paste the token the municipality's IT gave you (the same as for the API).",
    ),
    "bad_token": ("Ukendt token. Prøv igen.", "Unknown token. Try again."),
    "csrf_failed": (
        "Formularen var for gammel eller kom ikke fra denne side. Prøv igen.",
        "The form was stale or did not come from this site. Try again.",
    ),
    "forbidden": ("Det må din rolle ikke.", "Your role may not do this."),
    "not_found": ("Findes ikke.", "Not found."),
    "bad_value": ("Ugyldig værdi i feltet", "Invalid value in the field"),
    "bad_config": (
        "Den gemte konfiguration er ikke længere gyldig; en administrator må uploade en rettet version",
        "The stored configuration is no longer valid; an administrator must upload a corrected version",
    ),
    "role_admin": ("administrator", "administrator"),
    "role_distriktsleder": ("distriktsleder", "district leader"),
    "role_staff": ("medarbejder", "staff member"),
    "role_service": ("system", "service"),
    "no_plan": (
        "Der er endnu ingen plan. Start en planlægning under «Planlæg».",
        "There is no plan yet. Start planning under “Plan”.",
    ),
    "plan_version": ("Planversion", "Plan version"),
    "show": ("Vis", "Show"),
    "district": ("Distrikt", "District"),
    "all_districts": ("Alle distrikter", "All districts"),
    "week": ("Uge", "Week"),
    "week_of": ("uge", "week"),
    "closed": ("Lukket", "Closed"),
    "locked": ("låst", "locked"),
    "locked_long": ("Låst: flyttes ikke ved omplanlægning", "Locked: replanning will not move it"),
    "overview_title": ("Semesteroversigt", "Semester overview"),
    "overview_help": (
        "Uger nedad, enheder på tværs. Klik på et møde for detaljer, låsning og flytning.",
        "Weeks down, units across. Click a meeting for details, locking and moving.",
    ),
    "person_title": ("Personens uger", "A person's weeks"),
    "person_help": (
        "En specialists møder uge for uge på tværs af distrikter.",
        "A specialist's meetings week by week across districts.",
    ),
    "choose_person": ("Vælg person", "Choose person"),
    "no_meetings": ("Ingen møder.", "No meetings."),
    "meeting": ("Møde", "Meeting"),
    "when": ("Hvornår", "When"),
    "where": ("Hvor", "Where"),
    "deviation": ("Afviger fra seriens rytme", "Differs from the series' rhythm"),
    "unit": ("Enhed", "Unit"),
    "attendees": ("Deltagere", "Attendees"),
    "required": ("mødepligt", "required"),
    "optional": ("valgfri", "optional"),
    "why_here": ("Hvorfor her?", "Why here?"),
    "lock": ("Lås mødet", "Lock meeting"),
    "unlock": ("Lås op", "Unlock"),
    "reason": ("Begrundelse", "Reason"),
    "reason_optional": ("Begrundelse (valgfri)", "Reason (optional)"),
    "move": ("Flyt mødet", "Move meeting"),
    "move_to": ("Ny start", "New start"),
    "move_help": (
        "Flytningen tjekkes mod alle regler og gemmes som en ny planversion.",
        "The move is checked against every rule and saved as a new plan version.",
    ),
    "no_change_rights": (
        "Du kan se mødet, men ikke ændre det: det hører til et andet distrikt.",
        "You can see this meeting but not change it: it belongs to another district.",
    ),
    "back_to_overview": ("Tilbage til oversigten", "Back to the overview"),
    "locked_ok": ("Mødet er låst.", "The meeting is locked."),
    "unlocked_ok": ("Mødet er låst op.", "The meeting is unlocked."),
    "moved_ok": ("Mødet er flyttet; ny planversion", "The meeting moved; new plan version"),
    "load_title": ("Belastning", "Load"),
    "load_help": (
        "Timer i møder pr. uge. Orange søjler ligger over grænsen for en travl uge.",
        "Hours in meetings per week. Orange bars are above the busy-week limit.",
    ),
    "load_per_person": ("Timer pr. specialist pr. uge", "Hours per specialist per week"),
    "load_per_district": ("Timer pr. distrikt pr. uge", "Hours per district per week"),
    "busy_limit": ("Grænse for travl uge", "Busy-week limit"),
    "hours": ("timer", "hours"),
    "hours_short": ("t", "h"),
    "total": ("I alt", "Total"),
    "busiest": ("Travleste uge", "Busiest week"),
    "average": ("Gennemsnit", "Average"),
    "show_table": ("Vis tallene som tabel", "Show the figures as a table"),
    "plan_title": ("Planlæg semestret", "Plan the semester"),
    "plan_help": (
        "Løseren lægger alle distrikters møder på én gang, fordi specialisterne er fælles.",
        "The solver places every district's meetings at once, because specialists are shared.",
    ),
    "config": ("Konfiguration", "Configuration"),
    "term": ("Termin", "Term"),
    "time_limit": ("Tidsgrænse (sekunder)", "Time limit (seconds)"),
    "start_solve": ("Start planlægning", "Start planning"),
    "no_config": (
        "Der er ingen konfiguration endnu; kommunens IT uploader den (POST /configs).",
        "There is no configuration yet; the municipality's IT uploads it (POST /configs).",
    ),
    "job": ("Kørsel", "Job"),
    "job_queued": ("I kø", "Queued"),
    "job_running": ("Løser", "Solving"),
    "job_done": ("Færdig", "Done"),
    "job_failed": ("Fejlede", "Failed"),
    "solutions": ("løsninger fundet", "solutions found"),
    "gap": (DISTANCE_DA, "at most {pct} % from the best possible"),
    "seconds": ("sekunder", "seconds"),
    "see_plan": ("Se planen", "See the plan"),
    "rules_title": ("Sådan overholder planen reglerne", "How the plan keeps the rules"),
    "rules_none": ("Ingen regler er bøjet.", "No rule was bent."),
    "rule": ("Regel", "Rule"),
    "bent": ("bøjet", "bent"),
    "not_bent": ("ikke bøjet", "not bent"),
    "fair_minutes": (
        "den travleste specialist har {n} mødeminutter om ugen (regnet om til fuld tid)",
        "the busiest specialist has {n} meeting minutes a week (scaled to full time)",
    ),
    "travel_minutes": ("omkring {n} minutters transport i alt", "about {n} minutes of travel in all"),
    "times": ("gange", "times"),
    "cost": ("Pris", "Cost"),
    "regularity": ("Regelmæssighed", "Regularity"),
    "continuity": ("Kontinuitet", "Continuity"),
    "fairness": ("Retfærdig fordeling", "Fairness"),
    "travel": ("Transport", "Travel"),
    "regularity_text": (
        "af møderne ligger på seriens faste ugedag og klokkeslæt.",
        "of the meetings are on their series' usual weekday and time.",
    ),
    "continuity_text": (
        "af pladserne har seriens faste person (samme psykolog, rådgiver …).",
        "of the seats have the series' usual person (same psychologist, counsellor …).",
    ),
    "fairness_text": (
        "Afvigelse fra en ligelig fordeling af møder og turnusser:",
        "Deviation from an even share of meetings and rotas:",
    ),
    "travel_text": ("Transport mellem adresser samme dag:", "Travel between addresses on the same day:"),
    "other_rules": ("Øvrige bløde regler", "Other soft rules"),
    "status": ("Status", "Status"),
    "status_OPTIMAL": ("optimal", "optimal"),
    "status_FEASIBLE": ("gyldig (ikke bevist optimal)", "valid (not proven optimal)"),
    "status_INFEASIBLE": ("ingen plan mulig", "no plan possible"),
    "status_UNKNOWN": ("ukendt (tiden løb ud)", "unknown (time ran out)"),
    "status_PARTIAL": (
        "delvis (ikke alle møder kunne placeres)",
        "partial (not every meeting could be placed)",
    ),
    "unplaced_title": ("{n} møder kunne ikke placeres", "{n} meetings could not be placed"),
    "unplaced_help": (
        "Resten af planen overholder alle regler. For hvert manglende møde står, hvorfor det ikke kan "
        "lade sig gøre.",
        "The rest of the plan keeps every rule. Each missing meeting says why it cannot be placed.",
    ),
    "keep_partial": ("Planlæg med det, der kan lade sig gøre", "Plan with what is possible"),
    "fix_config": ("Ret konfigurationen", "Fix the configuration"),
    "fix_config_help": (
        "Planen er gemt som et udkast som alle andre. Vil I hellere rette konfigurationen (fx en vikar "
        "eller en anden dag), så upload en ny version og planlæg igen.",
        "The plan is kept as a draft like any other. To fix the configuration instead (a substitute, "
        "another day), upload a new version and plan again.",
    ),
    "meetings_count": ("møder", "meetings"),
    "why_no_plan": ("Hvorfor der ikke er en plan", "Why there is no plan"),
    "absence_title": ("Fravær", "Absence"),
    "absence_help": (
        "Meld en person utilgængelig. Du får forslag til den mindste ændring; "
        "intet sendes, før du vælger et.",
        "Register someone as unavailable. You get proposals for the smallest change; "
        "nothing is sent until you accept one.",
    ),
    "person": ("Person", "Person"),
    "solve_fresh": ("Start forfra", "Start afresh"),
    "solve_fresh_help": (
        "Normalt tager planlægningen udgangspunkt i den gældende plan og ændrer så lidt som muligt. "
        "Start forfra planlægger alle kommende møder på ny; jobsiden viser bagefter, hvor mange møder "
        "der ændres, og hvor mange der får besked.",
        "Normally planning starts from the live plan and changes as little as possible. Start afresh "
        "plans every coming meeting anew; the job page then shows how many meetings change and how "
        "many people are told.",
    ),
    "change_cost": (
        "I forhold til den gældende plan: {meetings} møder ændres, {people} personer får besked.",
        "Against the live plan: {meetings} meetings change, {people} people are told.",
    ),
    "service_mailbox": (
        "Møder uden mødeleder (i tjenestens Exchange-postkasse)",
        "Meetings without a chair (in the service's Exchange mailbox)",
    ),
    "from": ("Fra", "From"),
    "to": ("Til", "To"),
    "substitute_optional": (
        "Vikar (valgfri; overtager personens pladser i perioden)",
        "Substitute (optional; takes the person's seats meanwhile)",
    ),
    "no_substitute": ("Ingen navngiven vikar", "No named substitute"),
    "substitute": ("Vikar", "Substitute"),
    "reason_confidential": (
        "Begrundelse (fortrolig; gemmes, sendes aldrig)",
        "Reason (confidential; stored, never sent)",
    ),
    "register": ("Find forslag", "Find proposals"),
    "proposals": ("Forslag", "Proposals"),
    "proposal": ("Forslag", "Proposal"),
    "no_proposals": ("Intet forslag kan dække fraværet:", "No proposal can cover the absence:"),
    "nothing_to_change": (
        "Fraværet rører ingen møder; der er intet at ændre.",
        "The absence touches no meeting; there is nothing to change.",
    ),
    "changes": ("Ændringer", "Changes"),
    "before": ("Før", "Before"),
    "after": ("Efter", "After"),
    "notified": ("Får besked", "Will be notified"),
    "accept": ("Vælg dette forslag", "Accept this proposal"),
    "accepted": ("Valgt", "Accepted"),
    "accepted_ok": ("Forslaget er valgt; ny planversion", "Proposal accepted; new plan version"),
    "sent_to": ("Sendt til", "Sent to"),
    "not_sent_yet": (
        "Planen er ikke udsendt endnu, så intet er sendt.",
        "The plan is not published yet, so nothing was sent.",
    ),
    "cannot_accept": (
        "Du kan ikke vælge dette forslag: det ændrer møder i et andet distrikt.",
        "You cannot accept this proposal: it changes meetings in another district.",
    ),
    "recent_absences": ("Seneste fravær", "Recent absences"),
    "state_open": ("åben", "open"),
    "state_resolved": ("løst", "resolved"),
    "what_moved": ("flyttet", "moved"),
    "what_attendee_substituted": ("ny deltager", "attendee substituted"),
    "what_attendee_removed": ("deltager fjernet", "attendee removed"),
    "what_attendee_added": ("deltager tilføjet", "attendee added"),
    "what_added": ("nyt møde", "new meeting"),
    "what_removed": ("aflyst", "cancelled"),
    "publish_title": ("Udsend til kalendere", "Publish to calendars"),
    "publish_help": (
        "Se først, hvad hver person får; kun ændringer siden sidste udsendelse sendes.",
        "First see what each person will receive; only changes since the last publish are sent.",
    ),
    "preview": ("Forhåndsvisning", "Preview"),
    "messages": ("beskeder", "messages"),
    "messages_col": ("Beskeder", "Messages"),
    "recipients": ("modtagere", "recipients"),
    "nothing_to_send": (
        "Intet at sende: kalenderne er opdaterede.",
        "Nothing to send: calendars are current.",
    ),
    "publish_now": ("Udsend nu", "Publish now"),
    "published_ok": ("Udsendt", "Published"),
    "published_at": ("Udsendt", "Published"),
    "not_published": ("Ikke udsendt", "Not published"),
    "failures": ("Fejl ved levering", "Delivery failures"),
    "delivery_pending": (
        "Udsendelsen er ikke færdig. Den fortsætter af sig selv inden for et minut; intet sendes to gange.",
        "Sending has not finished. It resumes by itself within a minute; nothing is sent twice.",
    ),
    "unsent_title": ("Ikke modtaget endnu", "Not received yet"),
    "unsent_waiting": ("venter", "waiting"),
    "unsent_failed": ("fejlede", "failed"),
    "action_create": ("ny invitation", "new invitation"),
    "action_update": ("opdatering", "update"),
    "action_cancel": ("aflysning", "cancellation"),
    "why_col": ("Hvorfor", "Why"),
    "reason_new": ("nyt møde", "new meeting"),
    "reason_moved": ("flyttet", "moved"),
    "reason_removed": ("deltager ikke længere", "no longer attends"),
    "reason_cancelled": ("aflyst", "cancelled"),
    "reason_changed": ("ændret", "changed"),
    "ics_links": ("Kalenderabonnementer (ICS)", "Calendar subscriptions (ICS)"),
    "ics_help": (
        "Linket kan sættes ind i Outlook eller en anden kalender; det kræver ikke login.",
        "The link can be pasted into Outlook or another calendar; it needs no sign-in.",
    ),
    "copy_link": ("Kopiér link", "Copy link"),
    "copied": ("Kopieret", "Copied"),
    "link_for": ("ICS-link for", "ICS link for"),
    "not_newest": (
        "Dette er ikke den nyeste version af planen; ændringer laves på den nyeste.",
        "This is not the newest version of the plan; changes are made on the newest.",
    ),
    "state_draft": ("udkast", "draft"),
    "state_published": ("gældende", "live"),
    "state_superseded": ("afløst", "superseded"),
    "state_discarded": ("kasseret", "discarded"),
    "banner_live": (
        "Du ser den gældende plan (version {n}).",
        "You are looking at the live plan (version {n}).",
    ),
    "banner_never_published": (
        "Planen er endnu ikke udsendt: du ser det nyeste udkast (version {n}); der er ingen gældende plan.",
        "The plan has not been published yet: you are looking at the newest draft (version {n}); "
        "there is no live plan.",
    ),
    "banner_draft": (
        "Du ser et udkast (version {n}); den gældende plan er version {m}.",
        "You are looking at a draft (version {n}); the live plan is version {m}.",
    ),
    "banner_superseded": (
        "Du ser version {n}, som er afløst; den gældende plan er version {m}.",
        "You are looking at version {n}, which was superseded; the live plan is version {m}.",
    ),
    "banner_discarded": (
        "Du ser version {n}, som er kasseret; den gældende plan er version {m}.",
        "You are looking at version {n}, which was discarded; the live plan is version {m}.",
    ),
    "show_live": ("Vis den gældende plan", "Show the live plan"),
    "nav_drafts": ("Udkast", "Drafts"),
    "drafts_title": ("Udkast", "Drafts"),
    "drafts_help": (
        "Udkast er planer, der ikke er udsendt: ingen kalender er ændret af dem. Åbn et udkast for at se "
        "det, sammenlign det med den gældende plan, udsend det fra udsendelsessiden, eller kassér det.",
        "Drafts are plans that have not been published: no calendar was changed by them. Open a draft to "
        "look at it, compare it with the live plan, publish it from the publish page, or discard it.",
    ),
    "no_drafts": ("Der er ingen udkast.", "There are no drafts."),
    "open": ("Åbn", "Open"),
    "discard": ("Kassér", "Discard"),
    "discarded_ok": ("Udkastet er kasseret.", "The draft was discarded."),
    "changed_vs_live": ("Ændrede møder mod den gældende", "Meetings changed against the live plan"),
    "live_version": ("Gældende plan", "Live plan"),
    "none_live": ("ingen (ikke udsendt)", "none (not published)"),
    "error": ("Fejl", "Error"),
    "holiday": ("Ferie/helligdag", "Holiday"),
    "legend": ("Forklaring", "Legend"),
    # ---- pages of issue 16: overview, print, Excel export, load, solve progress
    "public_holiday": ("Helligdag", "Public holiday"),
    "school_holiday": ("Skoleferie", "School holiday"),
    "print": ("Udskriv / PDF", "Print / PDF"),
    "export_xlsx": ("Hent som Excel", "Download as Excel"),
    "export_refused": (
        "Planen kan ikke hentes som Excel, fordi en tekst i den ikke må deles:",
        "The plan cannot be downloaded as Excel because a text in it may not be shared:",
    ),
    "xlsx_sheet": ("Møder", "Meetings"),
    "xlsx_about": ("Om planen", "About the plan"),
    "xlsx_what": ("Udtræk for", "Extract for"),
    "xlsx_made": ("Hentet", "Downloaded"),
    "xlsx_count": ("Antal møder", "Number of meetings"),
    "xlsx_date": ("Dato", "Date"),
    "xlsx_weekday": ("Ugedag", "Weekday"),
    "xlsx_start": ("Start", "Start"),
    "xlsx_end": ("Slut", "End"),
    "xlsx_title": ("Møde", "Meeting"),
    "xlsx_place": ("Sted", "Place"),
    "xlsx_room": ("Lokale", "Room"),
    "xlsx_participants": ("Deltagere", "Participants"),
    "load_axis_hours": ("Timer pr. uge", "Hours per week"),
    "load_over": ("Over grænsen", "Above the limit"),
    "load_district_help": (
        "Specialisternes timer i møder i distriktets enheder, uge for uge.",
        "The specialists' hours in meetings of the district's units, week by week.",
    ),
    "phase_building": ("Bygger modellen …", "Building the model …"),
    "phase_solving": ("Løser …", "Solving …"),
    "job_queued_help": (
        "Planlægningen venter på at blive startet; det tager normalt kun et øjeblik.",
        "The planning is waiting to start; that usually takes only a moment.",
    ),
    "phase_building_help": (
        "Møder, personer og regler stilles op, og en første plan findes. Siden opdaterer sig selv.",
        "Meetings, people and rules are set up and a first plan is found. The page updates itself.",
    ),
    "phase_solving_help": (
        "Der er fundet en plan, og den forbedres, til tiden er gået. Resultatet vises her, når det er klar.",
        "A plan was found and is being improved until the time limit. The result appears here when ready.",
    ),
    # ---- end of issue 16's pages
}


def pick_lang(value: str | None) -> Lang:
    return "en" if value == "en" else DEFAULT


def text(lang: Lang, key: str) -> str:
    da, en = TEXTS[key]
    return en if lang == "en" else da


def long_date(value: date | datetime, lang: Lang = DEFAULT) -> str:
    """'tirsdag 9. marts 2027' / 'Tuesday 9 March 2027' (a datetime is read in Copenhagen time)."""
    day = value.astimezone(TZ).date() if isinstance(value, datetime) else value
    if lang == "da":
        return long_date_da(day)
    return f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def short_date(value: date | datetime, lang: Lang = DEFAULT) -> str:
    """'tir 9/3' / 'Tue 9/3': for grid cells."""
    day = value.astimezone(TZ).date() if isinstance(value, datetime) else value
    return f"{WEEKDAYS[lang][day.weekday()][:3]} {day.day}/{day.month}"


def number(value: float, lang: Lang = DEFAULT, decimals: int = 1) -> str:
    """'12,5' in Danish, '12.5' in English."""
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "da" else text


def clock(value: datetime) -> str:
    """'13:30' in Copenhagen time, in both languages."""
    return clock_da(value)


def when(start: datetime, end: datetime, lang: Lang = DEFAULT) -> str:
    """'tirsdag 9. marts 2027 kl. 13:00-15:00' / 'Tuesday 9 March 2027, 13:00-15:00'."""
    joiner = ", " if lang == "en" else " kl. "
    return f"{long_date(start, lang)}{joiner}{clock(start)}-{clock(end)}"
