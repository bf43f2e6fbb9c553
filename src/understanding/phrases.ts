/** Lower case, NFC, punctuation and extra spaces gone: "Säga upp!" and "säga  upp" are the same phrase. */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFC')
    .toLocaleLowerCase('sv')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
