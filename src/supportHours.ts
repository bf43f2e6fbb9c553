/**
 * When people are at the support desk: weekdays and a daily opening time, in the desk's own time zone. A hand-off
 * outside those hours tells the caller when someone will be back, instead of a place in a queue nobody is serving.
 */
export interface SupportHours {
  /** 1 = Monday … 7 = Sunday. */
  days: number[];
  /** Minutes after midnight, local time: opens at, closes at. */
  opens: number;
  closes: number;
  timeZone: string;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const STEP_MS = 5 * 60_000;

/** `mon-fri 08:00-17:00` (or `mon,wed,fri 09:00-12:00`) in a time zone; the message of a bad value says what is wanted. */
export function parseSupportHours(value: string, timeZone: string): SupportHours | string {
  const match = /^\s*([a-z,-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/i.exec(value);
  if (!match) return 'like "mon-fri 08:00-17:00"';
  const days = dayList(match[1].toLowerCase());
  const opens = Number(match[2]) * 60 + Number(match[3]);
  const closes = Number(match[4]) * 60 + Number(match[5]);
  if (!days) return 'days as mon-fri or mon,tue,…';
  if (opens >= closes || closes > 24 * 60) return 'an opening time before the closing time, within the day';
  if (!isTimeZone(timeZone)) return `a time zone such as Europe/Stockholm (got "${timeZone}")`;
  return { days, opens, closes, timeZone };
}

function dayList(text: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to] = part.split('-');
    const a = DAY_NAMES.indexOf(from);
    const b = to === undefined ? a : DAY_NAMES.indexOf(to);
    if (a < 0 || b < 0 || b < a) return undefined;
    for (let day = a; day <= b; day++) days.add(day + 1);
  }
  return [...days];
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday (1–7) and minute of the day at `date` in the zone. */
function wallClock(date: Date, timeZone: string): { day: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(date).map((part) => [part.type, part.value]));
  return { day: DAY_NAMES.indexOf(String(parts.weekday).toLowerCase().slice(0, 3)) + 1, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function isOpen(hours: SupportHours, now: Date): boolean {
  const { day, minute } = wallClock(now, hours.timeZone);
  return hours.days.includes(day) && minute >= hours.opens && minute < hours.closes;
}

/** The next moment the desk opens after `now` (summer time included: the zone's own clock is asked at every step). */
export function nextOpening(hours: SupportHours, now: Date): Date {
  let at = new Date(Math.floor(now.getTime() / STEP_MS) * STEP_MS + STEP_MS);
  for (let steps = 0; steps < (8 * 24 * 60 * 60_000) / STEP_MS; steps++, at = new Date(at.getTime() + STEP_MS)) {
    if (isOpen(hours, at)) return at;
  }
  throw new Error('support hours that never open');
}
