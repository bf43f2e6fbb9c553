import { z } from 'zod';

/**
 * The policy compares dates in UTC by calendar day (POLICY.md, "Decisions not in the seeds"), so every date it takes
 * or returns is an ISO calendar date, `YYYY-MM-DD`. Times of day never leak into a decision.
 */
export type CalendarDate = string & { readonly __brand: 'CalendarDate' };

const MS_PER_DAY = 86_400_000;

export const calendarDateSchema = z.iso.date().transform((value) => value as CalendarDate);

export function toCalendarDate(instant: Date): CalendarDate {
  return instant.toISOString().slice(0, 10) as CalendarDate;
}

function dayNumber(date: CalendarDate): number {
  return Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return toCalendarDate(new Date((dayNumber(date) + days) * MS_PER_DAY));
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return dayNumber(to) - dayNumber(from);
}

export function earliest(a: CalendarDate, b: CalendarDate): CalendarDate {
  return daysBetween(a, b) < 0 ? b : a;
}

/** The same day of the month, `months` later (the month's last day when it is shorter). */
export function addMonths(date: CalendarDate, months: number): CalendarDate {
  const [year, month, day] = date.split('-').map(Number);
  const lastDay = new Date(Date.UTC(year, month - 1 + months + 1, 0)).getUTCDate();
  return toCalendarDate(new Date(Date.UTC(year, month - 1 + months, Math.min(day, lastDay))));
}
