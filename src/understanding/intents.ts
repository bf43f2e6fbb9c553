/** What a caller can ask the assistant for; the main dialog routes on these values, whoever recognised them. */
export const MENU_INTENTS = ['cancel', 'fastRevoke', 'reactivate', 'general', 'person'] as const;
export type MenuIntent = (typeof MENU_INTENTS)[number];

