import { describe, expect, it } from 'vitest';
import { isOpen, nextOpening, parseSupportHours, type SupportHours } from '../../src/supportHours';
import { loadConfig } from '../../src/config';
import { startConversation } from '../support/conversation';
import { i18n } from '../support/bot';

const WEEKDAYS = parseSupportHours('mon-fri 08:00-17:00', 'Europe/Stockholm') as SupportHours;

describe('support hours', () => {
  it('reads days and times, and says what is wanted when it cannot', () => {
    expect(WEEKDAYS).toEqual({ days: [1, 2, 3, 4, 5], opens: 480, closes: 1020, timeZone: 'Europe/Stockholm' });
    expect(parseSupportHours('mon,wed,sat 09:30-12:00', 'UTC')).toEqual({ days: [1, 3, 6], opens: 570, closes: 720, timeZone: 'UTC' });
    expect(parseSupportHours('weekdays 8-17', 'UTC')).toMatch(/mon-fri 08:00-17:00/);
    expect(parseSupportHours('fri-mon 08:00-17:00', 'UTC')).toMatch(/days/);
    expect(parseSupportHours('mon-fri 17:00-08:00', 'UTC')).toMatch(/before the closing/);
    expect(parseSupportHours('mon-fri 08:00-17:00', 'Mars/Olympus')).toMatch(/time zone/);
    expect(loadConfig({ SUPPORT_HOURS: 'all the time' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^SUPPORT_HOURS: must be like/)] });
    expect(loadConfig({ SUPPORT_HOURS: 'mon-fri 08:00-17:00' })).toMatchObject({ ok: true, config: { supportHours: WEEKDAYS } });
  });

  it('is open on the desk\'s own clock, winter and summer time alike', () => {
    expect(isOpen(WEEKDAYS, new Date('2026-11-23T07:00:00Z'))).toBe(true); // Monday 08:00 CET
    expect(isOpen(WEEKDAYS, new Date('2026-11-23T06:59:00Z'))).toBe(false);
    expect(isOpen(WEEKDAYS, new Date('2026-11-23T16:00:00Z'))).toBe(false); // 17:00: closed
    expect(isOpen(WEEKDAYS, new Date('2026-06-15T06:00:00Z'))).toBe(true); // Monday 08:00 CEST
    expect(isOpen(WEEKDAYS, new Date('2026-11-22T10:30:00Z'))).toBe(false); // Sunday
  });

  it('knows when it opens next: after the weekend, the next morning, across the change to winter time', () => {
    expect(nextOpening(WEEKDAYS, new Date('2026-11-22T10:30:00Z')).toISOString()).toBe('2026-11-23T07:00:00.000Z');
    expect(nextOpening(WEEKDAYS, new Date('2026-11-24T16:30:00Z')).toISOString()).toBe('2026-11-25T07:00:00.000Z');
    // Saturday 24 October 2026 in summer time; the clocks go back on Sunday; Monday opens at 08:00 CET = 07:00Z.
    expect(nextOpening(WEEKDAYS, new Date('2026-10-24T12:00:00Z')).toISOString()).toBe('2026-10-26T07:00:00.000Z');
  });
});

describe.each(['sv', 'en'] as const)('a hand-off outside support hours (%s)', (language) => {
  it('tells the caller when the desk opens, instead of a place in a queue nobody serves', async () => {
    const c = await startConversation({ language, config: { supportHours: WEEKDAYS } });
    const said = await c.say(language === 'sv' ? 'Jag vill prata med en person' : 'I want to talk to a person');
    const t = i18n.getFixedT(language);
    // The clock of the tests stands on Sunday 22 November 2026, 11:30 in Stockholm.
    const expected = language === 'sv' ? t('handoff:closedNow', { day: 'måndag 23 november', time: '08:00' }) : t('handoff:closedNow', { day: 'Monday 23 November', time: '08:00' });
    expect(said).toContain(expected);
    expect(said.join('\n')).not.toMatch(/number 1 in the queue|nummer 1 i kön/);
    // The hand-off waits for the agents all the same.
    expect(await c.runtime.liveHandoffs.queue.list({ status: 'waiting' })).toHaveLength(1);
    await c.close();
  });
});
