/**
 * Birthplaces as they appear in a NIR (characters 6-10: department 2 + commune 3), with rough weights.
 * Historical codes are honoured so a NIR agrees with its birth year: Corsica is 20 before 1976 and 2A/2B after;
 * departments 91-95 exist from 1968 (before, the Paris region was 75 Seine and 78 Seine-et-Oise); births in
 * French Algeria before 1962 carry 91-94; births abroad carry 99 + the INSEE country code; overseas 97 + 3 digits.
 *
 * This table feeds the NIR slot map (nir-space.ts): editing it changes which NIR each index gets, so bump
 * SLOT_MAP_VERSION there when you do.
 */
export type NameGroup = 'fr' | 'maghreb' | 'iberian' | 'italian' | 'westafrica' | 'other' | 'algeria-before-1962';

export interface Birthplace {
  /** Department as written in the NIR: 2 digits, 2A or 2B. */
  nirDept: string;
  /** 3-digit commune (or country) codes, ascending. */
  communes: number[];
  /** Relative weight among the places of a birth year. */
  weight: number;
  /** First and last birth years this code was in use. */
  from: number;
  to: number;
  /** Births abroad (the flag that makes temporary NIRs likelier). */
  abroad: boolean;
  names: NameGroup;
  /** Department of residence most likely for someone born here (postcode prefix; 971.. overseas), if any. */
  homeDept: string | null;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Metropolitan departments: code, population (thousands), highest commune code used. */
// A data table, laid out in rows as written.
// prettier-ignore
const METROPOLE: ReadonlyArray<readonly [string, number, number]> = [
  ['01', 660, 457], ['02', 530, 810], ['03', 335, 321], ['04', 165, 245], ['05', 141, 190], ['06', 1090, 163],
  ['07', 328, 348], ['08', 270, 502], ['09', 153, 339], ['10', 310, 427], ['11', 375, 440], ['12', 280, 304],
  ['13', 2040, 119], ['14', 695, 766], ['15', 144, 270], ['16', 352, 425], ['17', 650, 480], ['18', 302, 290],
  ['19', 240, 290], ['21', 534, 712], ['22', 600, 390], ['23', 117, 280], ['24', 413, 600], ['25', 543, 629],
  ['26', 516, 383], ['27', 600, 710], ['28', 432, 420], ['29', 915, 303], ['30', 748, 353], ['31', 1400, 592],
  ['32', 191, 468], ['33', 1623, 563], ['34', 1176, 344], ['35', 1080, 363], ['36', 219, 248], ['37', 610, 281],
  ['38', 1271, 565], ['39', 259, 587], ['40', 413, 334], ['41', 330, 299], ['42', 765, 330], ['43', 227, 268],
  ['44', 1430, 224], ['45', 680, 346], ['46', 174, 340], ['47', 331, 324], ['48', 76, 198], ['49', 818, 382],
  ['50', 496, 650], ['51', 566, 663], ['52', 172, 550], ['53', 307, 276], ['54', 733, 600], ['55', 184, 580],
  ['56', 759, 262], ['57', 1044, 767], ['58', 204, 313], ['59', 2608, 670], ['60', 829, 700], ['61', 280, 505],
  ['62', 1466, 905], ['63', 660, 475], ['64', 682, 551], ['65', 228, 481], ['66', 479, 233], ['67', 1140, 558],
  ['68', 764, 385], ['69', 1860, 299], ['70', 235, 561], ['71', 551, 595], ['72', 566, 386], ['73', 436, 330],
  ['74', 826, 315], ['76', 1255, 768], ['77', 1420, 533], ['79', 374, 330], ['80', 570, 800], ['81', 389, 330],
  ['82', 260, 202], ['83', 1076, 153], ['84', 561, 156], ['85', 685, 306], ['86', 438, 300], ['87', 374, 205],
  ['88', 364, 530], ['89', 338, 486], ['90', 142, 125],
];

/** Metropolitan + overseas births weigh about 87 %, births abroad about 13 % (scaled below). */
const ABROAD_SHARE = 0.13;
const FIRST_YEAR = 1926;
const LAST_YEAR = 2025;

function buildBirthplaces(): Birthplace[] {
  const places: Birthplace[] = [];
  const france = (
    nirDept: string,
    pop: number,
    communes: number[],
    from = FIRST_YEAR,
    to = LAST_YEAR,
    homeDept: string | null = nirDept,
  ) => places.push({ nirDept, communes, weight: pop, from, to, abroad: false, names: 'fr', homeDept });

  for (const [code, pop, last] of METROPOLE) france(code, pop, range(1, last));
  // Paris: arrondissements 101-120; before 1968 the Seine department also held today's 92, 93 and 94.
  france('75', 2165, range(101, 120), 1968);
  france('75', 2165 + 1624 + 1644 + 1407, [...range(1, 80), ...range(101, 120)], FIRST_YEAR, 1967);
  // Seine-et-Oise (78) held today's 91 and 95 before 1968.
  france('78', 1448, range(1, 690), 1968);
  france('78', 1448 + 1300 + 1249, range(1, 690), FIRST_YEAR, 1967);
  france('91', 1300, range(1, 692), 1968);
  france('92', 1624, range(1, 78), 1968);
  france('93', 1644, range(1, 79), 1968);
  france('94', 1407, range(1, 81), 1968);
  france('95', 1249, range(1, 690), 1968);
  // Corsica: one department (20) until 1976.
  france('20', 340, range(1, 366), FIRST_YEAR, 1975, '2A');
  france('2A', 160, range(1, 362), 1976);
  france('2B', 180, range(1, 366), 1976);
  // Overseas: 97 + a 3-digit code whose first digit is the territory (971 Guadeloupe ... 976 Mayotte).
  france('97', 384, range(101, 134), FIRST_YEAR, LAST_YEAR, '971');
  france('97', 364, range(201, 234), FIRST_YEAR, LAST_YEAR, '972');
  france('97', 285, range(301, 362), FIRST_YEAR, LAST_YEAR, '973');
  france('97', 860, range(401, 424), FIRST_YEAR, LAST_YEAR, '974');
  france('97', 280, range(601, 617), 2011, LAST_YEAR, '976');

  const franceTotal = places.filter((p) => p.to === LAST_YEAR).reduce((s, p) => s + p.weight, 0);
  const abroadUnit = (franceTotal * ABROAD_SHARE) / (1 - ABROAD_SHARE) / 100; // weights below are % of births abroad
  const abroad = (communes: number[], pct: number, names: NameGroup, from = FIRST_YEAR, to = LAST_YEAR) =>
    places.push({ nirDept: '99', communes, weight: pct * abroadUnit, from, to, abroad: true, names, homeDept: null });
  // French Algeria: departments 91 Alger, 92 Oran, 93 Constantine, 94 Territoires du Sud until 1962.
  for (const dept of ['91', '92', '93', '94']) {
    places.push({
      nirDept: dept,
      communes: range(1, 300),
      weight: (dept === '94' ? 1 : 6) * abroadUnit,
      from: FIRST_YEAR,
      to: 1961,
      abroad: false,
      names: 'algeria-before-1962',
      homeDept: null,
    });
  }
  abroad([351], 12, 'maghreb', 1962); // Algeria after independence
  abroad([350, 352], 17, 'maghreb'); // Morocco, Tunisia
  abroad([127], 5, 'italian'); // Italy
  abroad([134, 139], 12, 'iberian'); // Spain, Portugal
  abroad([101, 109, 110, 122, 123, 126, 131, 132, 135, 137, 140], 14, 'other'); // rest of Europe
  abroad([208, 216, 217, 223, 243], 10, 'other'); // Asia
  abroad([322, 326, 328, 330, 335, 341, 345], 14, 'westafrica'); // sub-Saharan Africa
  abroad([312, 324, 333], 6, 'other'); // central Africa, Madagascar
  abroad([401, 404], 5, 'other'); // North America
  return places;
}

export const BIRTHPLACES: readonly Birthplace[] = buildBirthplaces();
export const BIRTH_YEARS = { first: FIRST_YEAR, last: LAST_YEAR } as const;
