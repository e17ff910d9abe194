"""From a plan to people's calendars: ICS files now, e-mail/CalDAV/Exchange back-ends later.

Everything passes the same privacy guard (`calendar_sync.privacy.PrivacyGuard`), applied by the
sync engine itself before any back-end is called and by the feeds, because invites leave the unit
and must never carry a child's name, a CPR number or case details.
"""
