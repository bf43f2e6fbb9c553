/**
 * The stored state's own shorthand: the pieces of text every state document repeats (botbuilder's dialog stack, the
 * product's property names, dialog IDs, question keys), each written as one or two control characters. A state
 * document is a kilobyte or two of mostly these; a general compressor (deflate) made them about half as long but cost
 * some 20 µs a document here, 70 µs in a turn — a twentieth of the turn — where this costs about 5 (issue 14).
 *
 * `JSON.stringify`'s output never holds a character below U+0020 (it escapes them in strings and adds no whitespace),
 * so those are free to stand for the pieces: U+0001–U+001E for the first 30, U+001F followed by a printable ASCII
 * character for up to 95 more. Text holding one anyway is not shortened (the seal deflates it instead).
 *
 * The list IS the stored format (format 2 of stateSeal): never change, remove, reorder or add an entry — a document
 * written with it would read differently, or not at all where an older instance runs. Another list is another format,
 * with this one kept for reading what was written with it.
 */
const PIECES: readonly string[] = [
  // 1–30: one character each, the most frequent.
  '{"dialogStack":[{"id":"',
  '","state":{"dialogs":{"dialogStack":[{"id":"',
  '","state":{"options":{',
  '},"values":{',
  '},"stepIndex":',
  '}},{"id":"',
  '},"state":{}}}]}}}]',
  '"validations":{',
  '"question":{',
  '"ask":{"key":"',
  '"retry":{"key":"',
  '"helpKey":"',
  '{"handledActivityIds":"',
  '","insightsProgress":{"firstMessageAt":',
  ',"messages":',
  ',"language":"',
  '"},"dialogState":',
  '"callerSession":{"accountId":"',
  '","organisationName":"',
  '","isAdmin":',
  ',"caller":"',
  '","verifiedAt":"',
  '","lastActiveAt":"',
  '"currentRequest":{"wish":"',
  '","choices":{',
  'verifyIdentity',
  'true',
  'false',
  '"kind":"',
  '"params":{',
  // 31–: two characters each.
  'null',
  '"sensitive":true',
  '"named":"',
  '"item":"',
  '"subscription":{"id":"',
  '","facts":{"plan":"',
  '","channel":"',
  '","billing":"',
  '","assignedLicenses":',
  ',"termEnd":"',
  '","autoRenew":',
  ',"hasPaymentMethod":',
  ',"customDomains":[',
  '],"status":"',
  '","cancelledAt":',
  ',"dataDeletionAt":',
  '"decision":{"outcome":"',
  '","rules":["',
  '"action":"',
  '"choiceList":"',
  '"cardId":"',
  '"answers":{',
  '"userId":"',
  '"phone":"',
  '"contactName":"',
  '"postalAddress":"',
  '"organisationName":"',
  '"picked":[',
  '"countSaid":',
  '"initialText":"',
  '"subscriptionId":"',
  '"flowId":"',
  '"accountId":"',
  '"wish":"',
  '"how":"',
  '"greeted":',
  '"silent":',
  'mainDialog',
  'mainWaterfall',
  'wishPrompt',
  'cancelSubscription',
  'fastRevoke',
  'reactivate',
  'selectSubscription',
  'performAction',
  'feedback',
  'leaveMessage',
  'verify:',
  'cancel:',
  'main:',
  'account:',
  'help.',
  'ask.',
  'retry.',
  'organisationName',
  'contactName',
  'postalAddress',
  'SMALL_BUSINESS',
  'MIDSIZE_BUSINESS',
  'ENTERPRISE',
  'PRODUCT_KEY',
  'MONTHLY',
  'ANNUAL',
  'DIRECT',
  'ACTIVE',
  'CANCELLED',
  'FAST_REVOKED',
  'EXPIRED',
  'EARLY-',
  '"yesNo"',
  '"text"',
];

const SINGLE = 30;
const LAST_SECOND = 0x7e;
const ESCAPE = '\u001f';
if (PIECES.length > SINGLE + LAST_SECOND - 0x20 + 1) throw new Error('the state dictionary holds more pieces than it has codes');
if (new Set(PIECES).size !== PIECES.length || PIECES.some((piece) => piece.length < 3 || /[\u0000-\u001f]/.test(piece))) {
  throw new Error('the state dictionary has a repeated, too short or control-character piece');
}

const codeOf = (index: number): string => (index < SINGLE ? String.fromCharCode(1 + index) : ESCAPE + String.fromCharCode(0x20 + index - SINGLE));
const pieceOfCode = new Map(PIECES.map((piece, index) => [codeOf(index), piece]));
const codeOfPiece = new Map(PIECES.map((piece, index) => [piece, codeOf(index)]));
/** The longest piece first where several start at the same place: one pass over the text. */
const anyPiece = new RegExp(
  [...PIECES]
    .sort((a, b) => b.length - a.length)
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|'),
  'g',
);
const anyCode = /\u001f[\s\S]?|[\u0001-\u001e]/g;
const CONTROL = /[\u0000-\u001f]/;

/** `json` with the dictionary's pieces written as their codes; undefined if it holds a control character (not `JSON.stringify`'s). */
export function shortenJson(json: string): string | undefined {
  if (CONTROL.test(json)) return undefined;
  return json.replace(anyPiece, (piece) => codeOfPiece.get(piece)!);
}

/** The JSON `shortenJson` was given; undefined for a code the dictionary does not have (not a document it wrote). */
export function expandJson(short: string): string | undefined {
  let unknown = false;
  const json = short.replace(anyCode, (code) => {
    const piece = pieceOfCode.get(code);
    if (piece === undefined) unknown = true;
    return piece ?? '';
  });
  return unknown ? undefined : json;
}
