import { describe, expect, it } from 'vitest';
import { extractDetails } from '../../src/understanding/details';
import { parseOrganisationName, parsePersonName, parsePhone, parsePostalAddress, parseUserId } from '../../src/verification/answers';
import { normaliseAddress, normalisePhone, normaliseText } from '../../src/verification/normalise';

describe('normalisation (ID-1 comparisons)', () => {
  it('070-123 45 67 = +46701234567', () => {
    expect(normalisePhone('070-123 45 67')).toBe('+46701234567');
    expect(normalisePhone('+46 70 123 45 67')).toBe('+46701234567');
    expect(normalisePhone('0046701234567')).toBe('+46701234567');
  });

  it('foreign numbers keep their country', () => {
    expect(normalisePhone('+44 20 7946 0321')).toBe('+442079460321');
  });

  it('storgatan 12 , 11455 stockholm matches Storgatan 12, 114 55 Stockholm', () => {
    expect(normaliseText('storgatan 12 , 11455 stockholm')).toBe(normaliseText('Storgatan 12, 114 55 Stockholm'));
  });

  it('Asa ≠ Åsa, Ostersund ≠ Östersund: Å, Ä, Ö are letters, not accents', () => {
    expect(normaliseText('Asa')).not.toBe(normaliseText('Åsa'));
    expect(normaliseText('Ostersund')).not.toBe(normaliseText('Östersund'));
    expect(normaliseText('Gavle')).not.toBe(normaliseText('Gävle'));
  });

  it('composed and decomposed Å are the same letter (NFC)', () => {
    expect(normaliseText('A\u030Asa')).toBe(normaliseText('\u00C5sa'));
  });

  it('addresses: the usual abbreviations are written out', () => {
    expect(normaliseAddress('221 Baker St, London NW1 6XE')).toBe(normaliseAddress('221 Baker Street, London NW1 6XE'));
    expect(normaliseAddress('Storg. 12, 114 55 Stockholm')).toBe(normaliseAddress('Storgatan 12, 114 55 Stockholm'));
    expect(normaliseAddress('Skogsv. 5, 852 30 Sundsvall')).toBe(normaliseAddress('Skogsvägen 5, 852 30 Sundsvall'));
    expect(normaliseAddress('Storgatan 12')).not.toBe(normaliseAddress('Storvägen 12'));
  });

  it('case, spaces and punctuation do not matter in names', () => {
    expect(normaliseText('  ANNA   lindqvist. ')).toBe(normaliseText('Anna Lindqvist'));
    expect(normaliseText('Tallmo Trä AB')).toBe(normaliseText('tallmo trä ab'));
  });
});

describe('answer forms', () => {
  it.each([
    ["I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67", 'anna.lindqvist@fjordfika.se'],
    ['ANNA.Lindqvist@Fjordfika.SE', 'anna.lindqvist@fjordfika.se'],
    ['åsa.öberg@exempel.se', 'åsa.öberg@exempel.se'],
    ['anna@', undefined],
    ['Anna Lindqvist', undefined],
  ])('user ID in %j → %s', (text, expected) => {
    expect(parseUserId(text)).toBe(expected);
  });

  it.each([
    ['070-123 45 67', '+46701234567'],
    ['mitt nummer är 070-123 45 67', '+46701234567'],
    ['+44 20 7946 0321', '+442079460321'],
    ['123', undefined],
    ['070-123', undefined],
    ['call me maybe', undefined],
  ])('phone in %j → %s', (text, expected) => {
    expect(parsePhone(text)).toBe(expected);
  });

  it.each([
    ['Anna Lindqvist', 'Anna Lindqvist'],
    ['Jag heter Anna Lindqvist', 'Anna Lindqvist'],
    ["Anna-Karin O'Neil", "Anna-Karin O'Neil"],
    ['Åsa Öberg', 'Åsa Öberg'],
    ['anna', undefined],
    ['Anna 123', undefined],
    ['', undefined],
    ['tack så mycket', undefined],
    ['thank you', undefined],
    ['vet inte', undefined],
  ])('person name %j → %s', (text, expected) => {
    expect(parsePersonName(text)).toBe(expected);
  });

  it.each([
    ['Fjordfika AB', 'Fjordfika AB'],
    ['Tallmo Trä AB', 'Tallmo Trä AB'],
    ['x', undefined],
    ['???', undefined],
  ])('organisation %j → %s', (text, expected) => {
    expect(parseOrganisationName(text)).toBe(expected);
  });

  it.each([
    ['Storgatan 12, 114 55 Stockholm', true],
    ['storgatan 12 , 11455 stockholm', true],
    ['Norra Kungsgatan 9, 803 20 Gävle', true],
    ['221 Baker Street, London NW1 6XE, United Kingdom', true],
    ['Storgatan 12', false],
    ['Stockholm', false],
    ['114 55 Stockholm', false],
  ])('postal address %j valid: %s', (text, valid) => {
    expect(parsePostalAddress(text) !== undefined).toBe(valid);
  });

  it('decomposed (NFD) input reads like composed input', () => {
    expect(parseUserId('åsa.öberg@exempel.se'.normalize('NFD'))).toBe('åsa.öberg@exempel.se');
    expect(parsePersonName('Åsa Öberg'.normalize('NFD'))).toBe('Åsa Öberg');
    expect(parseOrganisationName('Tallmo Trä AB'.normalize('NFD'))).toBe('Tallmo Trä AB');
  });

  it('a customer number or a date is not taken for the phone number', () => {
    expect(extractDetails('our customer number is 123456789').answers).toEqual({});
    expect(extractDetails('avtal 2024-11-05').answers).toEqual({});
    expect(extractDetails('ring 070-123 45 67').answers).toEqual({ phone: '+46701234567' });
    expect(extractDetails('phone +44 20 7946 0321').answers).toEqual({ phone: '+442079460321' });
  });

  it('one message can answer several questions', () => {
    expect(extractDetails("I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67").answers).toEqual({ userId: 'anna.lindqvist@fjordfika.se', phone: '+46701234567' });
    expect(extractDetails('Storgatan 12, 114 55 Stockholm').answers).toEqual({ postalAddress: 'Storgatan 12, 114 55 Stockholm' });
  });
});
