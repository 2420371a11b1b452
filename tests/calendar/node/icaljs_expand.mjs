// Expand a calendar feed the way Mozilla's ical.js (Thunderbird's parser) reads it.
// Usage: node icaljs_expand.mjs FEED.ics FROM_ISO UNTIL_ISO
// Prints {"<uid>": ["<UTC ISO start>", ...]} for every occurrence starting in [FROM, UNTIL),
// with EXDATEs left out and RECURRENCE-ID overrides in place of the days they replace.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [path, fromText, untilText] = process.argv.slice(2);
const from = new Date(fromText);
const until = new Date(untilText);
const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));

const masters = new Map();
const overrides = [];
for (const component of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(component);
  if (event.isRecurrenceException()) {
    overrides.push(event);
  } else {
    masters.set(event.uid, event);
  }
}
for (const event of overrides) {
  masters.get(event.uid).relateException(event);
}

const found = {};
for (const [uid, event] of masters) {
  const starts = [];
  if (!event.isRecurring()) {
    starts.push(event.startDate.toJSDate());
  } else {
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const start = event.getOccurrenceDetails(next).startDate.toJSDate();
      // An override moves a day by an hour at most; go a day past the window to be sure.
      if (next.toJSDate() > new Date(until.getTime() + 86400000)) {
        break;
      }
      starts.push(start);
    }
  }
  found[uid] = starts
    .filter((start) => start >= from && start < until)
    .sort((a, b) => a - b)
    .map((start) => start.toISOString());
}
process.stdout.write(JSON.stringify(found));
