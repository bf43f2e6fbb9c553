import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractDetails, regionOfLocale } from '../../src/understanding/details';
import { BLIND_DETAILS_SET, DETAILS_TARGET, evaluateDetails, evaluateWishes, readLabelledDetails, STUDIED_DETAILS_SETS } from '../../src/understanding/detailsEvaluation';
import { loadIntentRecognizer } from '../../src/understanding/nlu';

const ROOT = join(__dirname, '..', '..');

describe('every verification detail out of one message', () => {
  it(`reaches ${DETAILS_TARGET * 100}% per language on the blind set (${BLIND_DETAILS_SET}; npm run eval:nlu prints the figures)`, () => {
    for (const score of evaluateDetails(readLabelledDetails(ROOT, BLIND_DETAILS_SET))) {
      expect(score.expected, score.language).toBeGreaterThanOrEqual(200);
      expect(score.accuracy, `${score.language}: ${score.correct}/${score.expected}`).toBeGreaterThanOrEqual(DETAILS_TARGET);
    }
  });

  it.each(STUDIED_DETAILS_SETS)('keeps what the studied set %s taught: at least 97 percent per language, nothing picked out wrong', (set) => {
    for (const score of evaluateDetails(readLabelledDetails(ROOT, set))) {
      expect(score.wrong, score.language).toEqual([]);
      expect(score.accuracy, `${score.language}: ${score.correct}/${score.expected}`).toBeGreaterThanOrEqual(0.97);
    }
  });

  it.each([BLIND_DETAILS_SET, ...STUDIED_DETAILS_SETS])('never sends a message full of details (%s) to a person, another language or "out of scope"', async (set) => {
    const recognizer = await loadIntentRecognizer();
    for (const score of await evaluateWishes(recognizer, readLabelledDetails(ROOT, set))) expect(score.misrouted, score.language).toEqual([]);
  });
});

describe('details by example', () => {
  const anna = { userId: 'anna.lindqvist@fjordfika.se', phone: '+46701234567', contactName: 'Anna Lindqvist', organisationName: 'Fjordfika AB', postalAddress: 'Storgatan 12, 114 55 Stockholm', claimsAdmin: true };

  it.each([
    ["I want to cancel my subscription. I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67, contact person Anna Lindqvist, organisation Fjordfika AB, address Storgatan 12, 114 55 Stockholm, and I'm an admin."],
    ['Jag vill säga upp min prenumeration. Jag är anna.lindqvist@fjordfika.se, telefon 070-123 45 67, kontaktperson Anna Lindqvist, organisation Fjordfika AB, adress Storgatan 12, 114 55 Stockholm, och jag är admin.'],
    ['Namn: Anna Lindqvist\nTelefn: 070-123 45 67\nOrganistion: Fjordfika AB\nAdress: Storgatan 12, 114 55 Stockholm\nE-post: anna.lindqvist@fjordfika.se\nAdmin: ja'],
    ['Anna Lindqvist / Fjordfika AB / anna.lindqvist@fjordfika.se / 0701234567 / Storgatan 12, 114 55 Stockholm / admin'],
  ])('all six, labelled or not, with typos in the labels: %s', (text) => {
    expect(extractDetails(text).answers).toEqual(anna);
  });

  it('a name is never typo-corrected into a word, and what is left is the wish', () => {
    const { rest } = extractDetails('Jag vill säga upp. Anna Lindqvist, Fjordfika AB, Storgatan 12, 114 55 Stockholm');
    expect(rest).not.toMatch(/Anna|Lindqvist|Fjordfika|Storgatan/);
    expect(rest).toContain('säga upp');
  });

  it('numbers that are not phone numbers stay out: organisation number, invoice, date, a short number', () => {
    expect(extractDetails('org.nr 556677-8899, faktura 40021877, förfallodag 2025-03-01').answers.phone).toBeUndefined();
    expect(extractDetails('ring 070-123').answers.phone).toBeUndefined();
  });

  it('a number written the British way is read in the caller\'s country, and in Sweden\'s when it is Swedish', () => {
    expect(extractDetails('020 7946 0321', { region: regionOfLocale('en-GB') }).answers.phone).toBe('+442079460321');
    expect(extractDetails('070-123 45 67', { region: regionOfLocale('en-GB') }).answers.phone).toBe('+46701234567');
    expect(regionOfLocale('sv-SE')).toBe('SE');
    expect(regionOfLocale('en-US')).toBe('SE');
  });

  it('the sign-in is the caller\'s own address, not the one they copy in', () => {
    const { userId } = extractDetails('Skicka kopia till ekonomi@fjordfika.se. Min inloggning är anna.lindqvist@fjordfika.se').answers;
    expect(userId).toBe('anna.lindqvist@fjordfika.se');
  });

  it('"not the admin" is a no, and an organisation without a legal form counts when it is introduced or asked for', () => {
    expect(extractDetails('Jag är inte admin, det är min chef').answers.claimsAdmin).toBe(false);
    expect(extractDetails("I'm not the admin").answers.claimsAdmin).toBe(false);
    expect(extractDetails('Hej, Johan Ek här, vi på Solbacken Förskola vill säga upp').answers.organisationName).toBe('Solbacken Förskola');
    expect(extractDetails('Solbacken Förskola', { expecting: 'organisationName' }).answers).toEqual({ organisationName: 'Solbacken Förskola' });
    expect(extractDetails('Solbacken Förskola').answers.organisationName).toBeUndefined();
  });
});
