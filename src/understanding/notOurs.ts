import type { Language } from '../i18n';
import { foldWord } from './typos';

/**
 * "Jag vill säga upp mitt mobilabonnemang hos Telia", "cancel my gym membership": a request to end a subscription that
 * is plainly someone else's — a phone, broadband or electricity contract, a streaming service, an insurance — reads
 * like a cancellation word for word, and must never start one here. Only where the message names none of our services.
 */
const OTHER_SUBSCRIPTIONS: Record<Language, RegExp> = {
  sv: /(?<![\p{L}])(?:mobil(?:abonnemang|avtal|telefon|operatör)\w*|telefonabonnemang\w*|bredband\w*|fiber(?:abonnemang|avtal)\w*|el(?:avtal|abonnemang|handel)\w*|el-avtal\w*|gym\w*|tidning\w*|tidskrift\w*|försäkring\w*|hemlarm\w*|larmavtal\w*|netflix|spotify|viaplay|hbo|disney|telia|tele2|telenor|comviq|halebop|vimla|hallon|com\s?hem|bahnhof|vattenfall|fortum|eon|securitas|verisure)(?![\p{L}])/iu,
  en: /(?<![\p{L}])(?:mobile\s+(?:phone\s+)?(?:plan|contract|subscription|tariff)|phone\s+(?:contract|plan)|cell\s+(?:phone\s+)?plan|broadband|internet\s+(?:contract|provider|plan)|electricity|energy\s+(?:contract|supplier)|gym|newspaper|magazine|insurance|netflix|spotify|hulu|disney\+?|vodafone|verizon|at&t|t-mobile|o2|sky\s+tv|virgin\s+media|bt\s+broadband)(?![\p{L}])/iu,
};
/**
 * Other vendors' software subscriptions, in either language, as the thing to end: "How do I cancel my Adobe
 * subscription?", "Hur säger jag upp Fortnox?", "Do you also handle QuickBooks subscriptions?" — never a vendor only
 * mentioned ("We use Gmail now, please cancel our subscription", "vi har gått över till Google Workspace"). Folded text.
 */
const VENDOR = String.raw`(?:adobe|creative\s+cloud|acrobat|quickbooks|xero|sage|fortnox|visma|dropbox|google\s+workspace|g\s?suite|zoom|slack|salesforce|hubspot|mailchimp|canva|shopify|wix|squarespace|icloud|apple\s+(?:one|music)|amazon\s+prime|aws|linkedin|norton|mcafee|kaspersky|youtube)`;
const OTHER_VENDOR_ENDED: Record<Language, RegExp> = {
  sv: new RegExp(String.raw`(?<![a-z])(?:(?:sag[a-z]*|sa)\s+(?:(?:jag|vi|man|ni|du)\s+)?upp|avsluta[a-z]*|stanga[a-z]*|avbryta[a-z]*|sluta\s+med)\s+(?:[a-z-]+\s+){0,2}?${VENDOR}(?![a-z])|(?<![a-z])${VENDOR}[\s-]*(?:abonnemang|prenumeration|licens|konto|avtal)`),
  en: new RegExp(String.raw`(?<![a-z])(?:cancel[a-z]*|end|stop|terminat[a-z]*|unsubscribe\s+from|get\s+rid\s+of|handle)\s+(?:[a-z'-]+\s+){0,2}?${VENDOR}(?![a-z])|(?<![a-z])${VENDOR}\s+(?:subscriptions?|licen[cs]es?|accounts?|plans?|memberships?)`),
};
const VENDOR_LICENCE = new RegExp(String.raw`${VENDOR}[\s-]*licen[sc][a-z]*`, 'g');
const OURS = /(?<![\p{L}])(?:microsoft|office|o365|m365|365|teams|exchange|outlook|sharepoint|onedrive|business\s+(?:basic|standard|premium)|e[135]|tenant|licen[sc]\w*)(?![\p{L}])/iu;

export function namesAnotherCompanysSubscription(text: string, language: Language): boolean {
  const folded = foldWord(text);
  // "vår Adobe-licens" is Adobe's licence: a licence word names ours only when it is not a vendor's.
  const ourWords = folded.replace(VENDOR_LICENCE, ' ');
  return (OTHER_SUBSCRIPTIONS[language].test(text) || OTHER_VENDOR_ENDED[language].test(folded)) && !OURS.test(ourWords);
}
