// Reads one iCalendar text on stdin with Mozilla's ical.js (the parser Thunderbird uses) and
// prints what a calendar client makes of it, as JSON: the METHOD, and per VEVENT its UID,
// SEQUENCE, times, texts, ORGANIZER and ATTENDEEs with their parameters.
// Used by tests/calendar_sync/test_outlook_invites.py; ical.js is vendored beside this file.
import ICAL from "./vendor/ical-2.2.1.mjs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const root = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
for (const zone of root.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(zone);

const address = (prop) =>
  prop && {
    value: prop.getFirstValue(),
    cn: prop.getParameter("cn") ?? null,
    role: prop.getParameter("role") ?? null,
    rsvp: prop.getParameter("rsvp") ?? null,
    partstat: prop.getParameter("partstat") ?? null,
    sentBy: prop.getParameter("sent-by") ?? null,
  };

const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    location: event.location,
    description: event.description,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    recurring: event.isRecurring(),
    recurrenceId: event.recurrenceId ? event.recurrenceId.toJSDate().toISOString() : null,
    status: vevent.getFirstPropertyValue("status"),
    organizer: address(vevent.getFirstProperty("organizer")),
    attendees: event.attendees.map(address),
  };
});
process.stdout.write(JSON.stringify({ method: root.getFirstPropertyValue("method"), events }));
