/**
 * Masks personal data in free text before it reaches a log line or a transcript: e-mail addresses keep their first
 * letter and domain (`a***@fjordfika.se`), phone numbers their country code, two leading and two trailing digits
 * (`+46 70*** **67`). Applied to every string a log line carries, so a caller's answer pasted into an error message
 * is masked too.
 */
const EMAIL = /([\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]*@([\p{L}\p{N}.-]+\.[\p{L}]{2,})/gu;
// A phone number: optional +, then 7–15 digits with the separators people type (spaces, dashes, dots, brackets).
const PHONE = /(?<![\p{L}\p{N}])(\+?\(?\d[\d\s().-]{5,18}\d)(?![\p{L}\p{N}])/gu;

export function maskEmail(email: string): string {
  return email.replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

export function maskPhone(raw: string): string {
  const international = raw.trim().startsWith('+');
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return raw;
  if (international) {
    const countryLength = digits.startsWith('1') || digits.startsWith('7') ? 1 : 2;
    const country = digits.slice(0, countryLength);
    const rest = digits.slice(countryLength);
    return `+${country} ${rest.slice(0, 2)}*** **${rest.slice(-2)}`;
  }
  return `${digits.slice(0, 3)}*** **${digits.slice(-2)}`;
}

// Digit runs that look like a phone number but are not personal: ISO dates and IPv4 addresses.
const NOT_A_PHONE = /^(?:\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3})$/;

export function maskPersonalData(text: string): string {
  return maskEmail(text).replace(PHONE, (match) => (NOT_A_PHONE.test(match) ? match : maskPhone(match)));
}
