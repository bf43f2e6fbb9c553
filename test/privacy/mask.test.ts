import { describe, expect, it } from 'vitest';
import { maskCallerText, maskPersonalData } from '../../src/privacy/mask';
import { createLogger } from '../../src/log';

describe('maskPersonalData', () => {
  it.each([
    ['anna.lindqvist@fjordfika.se', 'a***@fjordfika.se'],
    ['+46 70 123 45 67', '+46 70*** **67'],
    ['+46701234567', '+46 70*** **67'],
    ['ring 070-123 45 67 tack', 'ring 070*** **67 tack'],
    ['+44 20 7946 0321', '+44 20*** **21'],
    ['mail james.carter@brightleaf.co.uk or +1 415 555 0100', 'mail j***@brightleaf.co.uk or +1 41*** **00'],
    ['Hej, jag heter Anna Lindqvist på Fjordfika AB, Storgatan 12, 114 55 Stockholm', 'Hej, jag heter [name] på Fjordfika AB, [address], [postcode] Stockholm'],
    ["I want to cancel, I'm Anna Lindqvist of Fjordfika AB, Storgatan 12, 11455 Stockholm", "I want to cancel, I'm [name] of Fjordfika AB, [address], [postcode] Stockholm"],
    ['vi bor på skogsv. 5 i Sundsvall', 'vi bor på [address] i Sundsvall'],
    ['221 Baker Street, London NW1 6XE', '[address], London [postcode]'],
    ['My name is James Carter', 'My name is [name]'],
    // No digit anywhere (the short way through): the address and the name are masked all the same.
    ['Det är Anna Lindqvist, skriv till anna@fjordfika.se', 'Det är [name], skriv till a***@fjordfika.se'],
  ])('%s → %s', (raw, masked) => {
    expect(maskPersonalData(raw)).toBe(masked);
  });

  it('leaves dates, addresses of machines, short numbers, case references and ordinary words alone', () => {
    const plain = 'deleted on 2027-02-20 from 127.0.0.1 after 90 days, port 3978, http://127.0.0.1:41234/healthz, 41234 bytes, case CX-7K3F-92, code 123456, I am not sure, jag är administratör, 12 licences';
    expect(maskPersonalData(plain)).toBe(plain);
  });

  it("a caller's own words lose names too; the bot's keep product names", () => {
    expect(maskCallerText('ring Anna Lindqvist eller Karl-Erik Berg på Fjordfika AB')).toBe('ring [name] eller [name] på Fjordfika AB');
    expect(maskPersonalData('Office 365 Small Business (12 licences)')).toBe('Office 365 Small Business (12 licences)');
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
