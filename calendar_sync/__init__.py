"""From a plan to people's calendars: ICS files now, e-mail/CalDAV/Exchange back-ends later.

Every back-end builds on the same privacy guard (`calendar_sync.privacy`), because invites leave
the unit and must never carry a child's name, a CPR number or case details.
"""
