/** What each demo caller answers to the six questions (ID-1, ID-2), as a person would type it. */
export interface DemoCaller {
  userId: string;
  phone: string;
  contactName: string;
  organisationName: string;
  postalAddress: string;
  admin: { sv: string; en: string };
}

const caller = (userId: string, phone: string, contactName: string, organisationName: string, postalAddress: string): DemoCaller => ({
  userId, phone, contactName, organisationName, postalAddress, admin: { sv: 'ja', en: 'yes' },
});

export const DEMO_CALLERS = {
  anna: caller('anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm'),
  sara: caller('sara.holm@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm'),
  erik: caller('erik.berg@nordkust.se', '031-555 01 23', 'Erik Berg', 'Nordkust Logistik AB', 'Hamngatan 3, 411 06 Göteborg'),
  ulf: caller('ulf.berg@tallmo.se', '060-12 34 56', 'Ulf Berg', 'Tallmo Trä AB', 'Skogsvägen 5, 852 30 Sundsvall'),
  james: caller('james.carter@brightleaf.co.uk', '+44 20 7946 0321', 'James Carter', 'Brightleaf Ltd', '221 Baker Street, London NW1 6XE, United Kingdom'),
  maria: caller('maria.nilsson@solbacken.se', '08-765 43 21', 'Maria Nilsson', 'Solbacken Förskola', 'Björkvägen 7, 183 30 Täby'),
  olof: caller('olof.strand@vintergatan.se', '040-98 76 54', 'Olof Strand', 'Vintergatan Bygg AB', 'Industrigatan 22, 211 24 Malmö'),
  lena: caller('lena.ek@havsbris.se', '072-333 44 55', 'Lena Ek', 'Havsbris Design AB', 'Strandvägen 1, 451 30 Uddevalla'),
  peter: caller('peter.olsen@granskog.se', '090-11 22 33', 'Peter Olsen', 'Granskog AB', 'Kungsgatan 40, 903 25 Umeå'),
  karin: caller('karin.dahl@ljusnan.se', '026-44 55 66', 'Karin Dahl', 'Ljusnan AB', 'Norra Kungsgatan 9, 803 20 Gävle'),
} as const;

export type DemoCallerName = keyof typeof DEMO_CALLERS;

/** The five ID-1 answers in the order the bot asks for them. */
export function answersOf(c: DemoCaller): string[] {
  return [c.userId, c.phone, c.contactName, c.organisationName, c.postalAddress];
}
