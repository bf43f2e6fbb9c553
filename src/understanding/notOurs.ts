import type { Language } from '../i18n';

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
 * Other vendors' software subscriptions, in either language: "How do I cancel my Adobe subscription?" — but not the
 * one a caller is moving TO ("vi har gått över till Google Workspace, vill sluta med abbet hos er" is ours to end).
 */
const OTHER_VENDORS = /(?<!(?:till|to|with|med|mot|over|över)\s+)(?<![\p{L}])(?:adobe|creative\s+cloud|acrobat|quickbooks|xero|sage|fortnox|visma|dropbox|google\s+workspace|g\s?suite|gmail|zoom|slack|salesforce|hubspot|mailchimp|canva|shopify|wix|squarespace|icloud|apple\s+(?:one|music)|amazon\s+prime|aws|linkedin|norton|mcafee|kaspersky|youtube)(?![\p{L}])/iu;
const OURS = /(?<![\p{L}])(?:microsoft|office|o365|m365|365|teams|exchange|outlook|sharepoint|onedrive|business\s+(?:basic|standard|premium)|e[135]|tenant)(?![\p{L}])/iu;

export function namesAnotherCompanysSubscription(text: string, language: Language): boolean {
  return (OTHER_SUBSCRIPTIONS[language].test(text) || OTHER_VENDORS.test(text)) && !OURS.test(text);
}
