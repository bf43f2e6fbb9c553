import type { Language } from '../i18n';
import { foldWord } from './typos';

/**
 * "Inte säga upp! Bara ta bort tre platser", "remove 2 licences only, NOT the whole subscription": taking seats away
 * is a change to the number of licences — a topic near ours — however much it sounds like ending something; so is a
 * move to another plan. Read on folded text (no å/ä/ö marks), so "ta bort tva anvandare" counts too.
 */
const SEAT_CHANGE: Record<Language, RegExp> = {
  sv: /\b(?:ta\s+bort|tabort|minska|dra\s+ner|plocka\s+bort|avsluta|sag\w*\s+upp|lagg\w*\s+till|kop\w*)\s+(?:(?:vara|de|dom|ytterligare|till)\s+)?(?:(?!365(?![0-9]))\d+|en|ett|tva|tre|fyra|fem|sex|tio|nagra|ett\s+par|antalet|oanvanda|lediga|fler)\s+(?:(?:av\s+vara|av\s+de|av|oanvanda|lediga|extra)\s+)?(?:licens|plats|anvandarlicens|anvandar|konto)\w*/u,
  en: /\b(?:remove|drop|reduce|cut|take\s+(?:away|off)|cancel|add|buy)\s+(?:(?:our|the|their|another)\s+)?(?:(?!365(?![0-9]))\d+|one|two|three|four|five|six|ten|a\s+couple\s+of|a\s+few|some|unused|spare|extra|more|the\s+number\s+of)\s+(?:(?:of\s+(?:our|the)\s+(?:\d+\s+)?|unused\s+|spare\s+|e[35]\s+|extra\s+))*(?:licen[cs]e|seat|user|account)s?\b/u,
};

/** The words that end, wipe or restore the whole subscription, said outright. */
const WHOLE_SUBSCRIPTION_ACTION: Record<Language, RegExp> = {
  sv: /(?:\bsa\s+upp|sagt\s+upp|sag\w*\s*upp\s+(?:[\w-]+\s+){0,3}?(?:abonnemang|prenumeration|avtal|hela|allt|tjansten)|avsluta\w*\s+(?:[\w-]+\s+){0,3}?(?:abonnemang|prenumeration|avtal|hela|allt|tjansten)|uppsagning|radera|aterkall|ateraktiv|lagg\w*\s+ner|stang\w*\s+(?:ner\s+)?(?:foretaget|bolaget|firman|butiken|verksamheten)|konkurs)/u,
  en: /\b(?:cancel\w*\s+(?:[\w'-]+\s+){0,3}?(?:subscription|contract|plan|account|whole|everything)|terminat|delet|wipe|revok|reactivat|restor|clos\w*\s+(?:down\s+)?(?:the|our)\s+(?:company|business|firm|shop|practice)|going\s+out\s+of\s+business|bankrupt)/u,
};

/** "Could you downgrade our E5 to E3 at renewal?", "vi behöver gå över till Enterprise": another plan, not an ending. */
const PLAN_CHANGE: Record<Language, RegExp> = {
  sv: /(?:nedgrader|uppgrader|(?:byta|byt|ga\s+over|flytta\s+(?:oss\s+)?)\s+(?:upp\s+|ner\s+)?till\s+(?:en\s+)?(?:e[135]|enterprise|business\s+(?:basic|standard|premium)|premium|standard|basic|storre\s+plan|mindre\s+plan|billigare\s+plan|annan\s+plan))/u,
  en: /\b(?:downgrad|upgrad|(?:move|switch|go|change)\s+(?:up\s+|down\s+|over\s+)?to\s+(?:a\s+)?(?:e[135]|enterprise|business\s+(?:basic|standard|premium)|premium|standard|basic|bigger\s+plan|smaller\s+plan|cheaper\s+plan|different\s+plan))/u,
};

export type NearbyChange = 'addLicences' | 'changePlan';

/** The change near ours a message asks for instead of ending the subscription, if any. */
export function nearbyChangeAskedFor(text: string, language: Language): NearbyChange | undefined {
  const folded = foldWord(text);
  if (WHOLE_SUBSCRIPTION_ACTION[language].test(folded)) return undefined;
  if (SEAT_CHANGE[language].test(folded)) return 'addLicences';
  if (PLAN_CHANGE[language].test(folded)) return 'changePlan';
  return undefined;
}
