import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expandJson, shortenJson } from '../../src/storage/stateDictionary';

/** The codes in the order the dictionary hands them out: one character, then the escape and a second. */
const codes = [
  ...Array.from({ length: 30 }, (_, i) => String.fromCharCode(1 + i)),
  ...Array.from({ length: 95 }, (_, i) => `\u001f${String.fromCharCode(0x20 + i)}`),
];

/** A state document as the bot keeps one mid-verification, in Swedish. */
const midVerification = JSON.stringify({
  handledActivityIds: 'Rpqu72kKkL2G',
  insightsProgress: { firstMessageAt: 1796335230826, messages: 4, language: 'sv' },
  dialogState: {
    dialogStack: [
      {
        id: 'mainDialog',
        state: {
          dialogs: {
            dialogStack: [
              { id: 'mainWaterfall', state: { options: {}, values: { wish: 'cancel' }, stepIndex: 2 } },
              {
                id: 'verifyIdentity.answer',
                state: {
                  options: { validations: { item: 'contactName', helpKey: 'verify:help.contactName', sensitive: true, question: { kind: 'text', ask: { key: 'verify:ask.contactName' } } } },
                  state: {},
                },
              },
            ],
          },
        },
      },
    ],
  },
  currentRequest: { wish: 'cancel', choices: {} },
  answers: { userId: 'åsa.öberg@contoso.se', phone: '+46701234567', contactName: 'Åsa Öberg', organisationName: 'Ärlig Städ AB' },
});

describe('the state dictionary (stored format 2)', () => {
  it('keeps its pieces as they were: the stored format does not change (another list is another format)', () => {
    const pieces = codes.slice(0, 101).map((code) => expandJson(code));
    expect(pieces.every((piece) => piece !== undefined && piece.length >= 3)).toBe(true);
    // Changing, removing or reordering a piece changes this; adding one makes the next code known.
    expect(createHash('sha256').update(pieces.join('\u0000')).digest('hex')).toBe(FORMAT_2_PIECES_SHA256);
    expect(expandJson(codes[101])).toBeUndefined();
  });

  it('gives back exactly the JSON it shortened, and makes a state document less than half as long', () => {
    const short = shortenJson(midVerification)!;
    expect(expandJson(short)).toBe(midVerification);
    expect(short.length).toBeLessThan(midVerification.length / 2);
    expect(short).toContain('Åsa Öberg');
  });

  it('round-trips any JSON text: pieces inside values, next to each other, cut in half, and none at all', () => {
    const pieces = codes.slice(0, 101).map((code) => expandJson(code)!);
    let seed = 14;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const bits = ['"', '{', '}', ':', ',', 'ö', 'Å', '€', '😀', 'a', '1', '\\n', ' '];
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const parts = 1 + random(30);
      for (let i = 0; i < parts; i++) {
        const piece = pieces[random(pieces.length)];
        const roll = random(4);
        text += roll === 0 ? piece.slice(0, random(piece.length)) : roll === 1 ? piece.slice(random(piece.length)) : roll === 2 ? piece : bits[random(bits.length)];
      }
      const short = shortenJson(text);
      expect(short).toBeDefined();
      expect(expandJson(short!)).toBe(text);
    }
    expect(expandJson(shortenJson('')!)).toBe('');
    expect(shortenJson('{"plain":"nothing known here"}')).toBe('{"plain":"nothing known here"}');
  });

  it('refuses text with a control character to shorten, and codes it does not have to expand', () => {
    expect(shortenJson('{"a":"\u0001"}')).toBeUndefined();
    expect(shortenJson('{"a":"\n"}')).toBeUndefined();
    expect(expandJson('\u001f~')).toBeUndefined(); // a code not handed out yet
    expect(expandJson('{"a":1}\u001f')).toBeUndefined(); // the escape without its second character
    expect(expandJson('\u0000')).toBe('\u0000'); // not a code: left as it is (JSON.parse refuses it)
  });
});

const FORMAT_2_PIECES_SHA256 = 'be310a061e276fadcb8194bf09fac54462c14ab5cd5efd68d8c11d03da2a3fe8';
