import { describe, expect, it } from 'vitest';
import { maskPersonalData } from '../../src/privacy/mask';
import { createLogger } from '../../src/log';

describe('maskPersonalData', () => {
  it.each([
    ['anna.lindqvist@fjordfika.se', 'a***@fjordfika.se'],
    ['+46 70 123 45 67', '+46 70*** **67'],
    ['+46701234567', '+46 70*** **67'],
    ['ring 070-123 45 67 tack', 'ring 070*** **67 tack'],
    ['+44 20 7946 0321', '+44 20*** **21'],
    ['mail james.carter@brightleaf.co.uk or +1 415 555 0100', 'mail j***@brightleaf.co.uk or +1 41*** **00'],
  ])('%s → %s', (raw, masked) => {
    expect(maskPersonalData(raw)).toBe(masked);
  });

  it('leaves dates, addresses of machines and short numbers alone', () => {
    expect(maskPersonalData('deleted on 2027-02-20 from 127.0.0.1 after 90 days, port 3978')).toBe('deleted on 2027-02-20 from 127.0.0.1 after 90 days, port 3978');
  });

  it('is applied to every string in a log line, nested or in an error', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (line) => lines.push(line));
    log.info('caller.said', { answers: { phone: '0701234567', note: ['anna@fjordfika.se'] }, error: new Error('no match for anna@fjordfika.se') });
    expect(lines[0]).not.toMatch(/anna@|0701234567/);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', event: 'caller.said', answers: { phone: '070*** **67', note: ['a***@fjordfika.se'] } });
  });

  it('drops lines below the configured level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (line) => lines.push(line));
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(['loud']);
  });
});
