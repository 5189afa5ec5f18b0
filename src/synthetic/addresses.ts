import { BIRTHPLACES, BIRTH_YEARS } from './birthplaces.js';
import { type Rng, WeightedTable } from './rng.js';

/**
 * Postal addresses in the AFNOR XP Z10-011 style: up to 6 lines of at most 38 characters, capitals without accents.
 *   1 recipient            MME MARIE DUPONT
 *   2 inside complement    APPARTEMENT 12          (optional)
 *   3 outside complement   RESIDENCE LES TILLEULS  (optional)
 *   4 number and street    12 BIS RUE DE LA PAIX
 *   5 locality / PO box    LIEU DIT LE MOULIN      (optional)
 *   6 postcode and city    75011 PARIS
 */
export const LINE_MAX = 38;

/** Towns: residence department, postcodes, name, weight (thousands of inhabitants, roughly). */
// A data table, laid out in rows as written.
// prettier-ignore
const TOWNS: ReadonlyArray<readonly [string, readonly string[], string, number]> = [
  ['75', Array.from({ length: 20 }, (_, i) => `750${String(i + 1).padStart(2, '0')}`).concat('75116'), 'PARIS', 2165],
  ['13', Array.from({ length: 16 }, (_, i) => `130${String(i + 1).padStart(2, '0')}`), 'MARSEILLE', 870],
  ['69', Array.from({ length: 9 }, (_, i) => `6900${i + 1}`), 'LYON', 520],
  ['31', ['31000', '31100', '31200', '31300', '31400', '31500'], 'TOULOUSE', 490],
  ['06', ['06000', '06100', '06200', '06300'], 'NICE', 340],
  ['44', ['44000', '44100', '44200', '44300'], 'NANTES', 320],
  ['34', ['34000', '34070', '34080', '34090'], 'MONTPELLIER', 300],
  ['67', ['67000', '67100', '67200'], 'STRASBOURG', 290],
  ['33', ['33000', '33100', '33200', '33300', '33800'], 'BORDEAUX', 260],
  ['59', ['59000', '59800'], 'LILLE', 235],
  ['35', ['35000', '35200', '35700'], 'RENNES', 220],
  ['51', ['51100'], 'REIMS', 180],
  ['83', ['83000', '83100', '83200'], 'TOULON', 180],
  ['42', ['42000', '42100'], 'SAINT-ETIENNE', 173],
  ['76', ['76600', '76610', '76620'], 'LE HAVRE', 168],
  ['38', ['38000', '38100'], 'GRENOBLE', 158],
  ['21', ['21000'], 'DIJON', 158],
  ['49', ['49000', '49100'], 'ANGERS', 155],
  ['69', ['69100'], 'VILLEURBANNE', 150],
  ['30', ['30000', '30900'], 'NIMES', 150],
  ['63', ['63000', '63100'], 'CLERMONT-FERRAND', 147],
  ['72', ['72000', '72100'], 'LE MANS', 143],
  ['13', ['13090', '13100'], 'AIX-EN-PROVENCE', 143],
  ['29', ['29200'], 'BREST', 139],
  ['37', ['37000', '37100', '37200'], 'TOURS', 136],
  ['80', ['80000', '80080', '80090'], 'AMIENS', 133],
  ['87', ['87000', '87100'], 'LIMOGES', 130],
  ['74', ['74000'], 'ANNECY', 130],
  ['66', ['66000', '66100'], 'PERPIGNAN', 120],
  ['92', ['92100'], 'BOULOGNE-BILLANCOURT', 121],
  ['57', ['57000', '57050'], 'METZ', 117],
  ['25', ['25000'], 'BESANCON', 117],
  ['45', ['45000', '45100'], 'ORLEANS', 116],
  ['93', ['93200'], 'SAINT-DENIS', 113],
  ['95', ['95100'], 'ARGENTEUIL', 110],
  ['76', ['76000', '76100'], 'ROUEN', 111],
  ['68', ['68100', '68200'], 'MULHOUSE', 108],
  ['93', ['93100'], 'MONTREUIL', 110],
  ['14', ['14000'], 'CAEN', 106],
  ['54', ['54000', '54100'], 'NANCY', 104],
  ['974', ['97400', '97490'], 'SAINT-DENIS', 153],
  ['974', ['97410'], 'SAINT-PIERRE', 85],
  ['974', ['97460'], 'SAINT-PAUL', 105],
  ['971', ['97110'], 'POINTE-A-PITRE', 16],
  ['971', ['97139'], 'LES ABYMES', 53],
  ['972', ['97200'], 'FORT-DE-FRANCE', 77],
  ['972', ['97232'], 'LE LAMENTIN', 39],
  ['973', ['97300'], 'CAYENNE', 63],
  ['973', ['97310'], 'KOUROU', 26],
  ['976', ['97600'], 'MAMOUDZOU', 71],
  ['2A', ['20000', '20090'], 'AJACCIO', 72],
  ['2B', ['20200', '20600'], 'BASTIA', 48],
  ['92', ['92000'], 'NANTERRE', 96], ['92', ['92700'], 'COLOMBES', 86], ['92', ['92400'], 'COURBEVOIE', 82],
  ['92', ['92600'], 'ASNIERES-SUR-SEINE', 87], ['92', ['92500'], 'RUEIL-MALMAISON', 79], ['93', ['93300'], 'AUBERVILLIERS', 88],
  ['93', ['93600'], 'AULNAY-SOUS-BOIS', 86], ['93', ['93700'], 'DRANCY', 72], ['93', ['93160'], 'NOISY-LE-GRAND', 68],
  ['93', ['93000'], 'BOBIGNY', 55], ['94', ['94400'], 'VITRY-SUR-SEINE', 95], ['94', ['94000'], 'CRETEIL', 92],
  ['94', ['94500'], 'CHAMPIGNY-SUR-MARNE', 77], ['94', ['94100'], 'SAINT-MAUR-DES-FOSSES', 75], ['91', ['91300'], 'MASSY', 50],
  ['91', ['91100'], 'CORBEIL-ESSONNES', 51], ['91', ['91000'], 'EVRY-COURCOURONNES', 67], ['95', ['95200'], 'SARCELLES', 58],
  ['95', ['95000'], 'CERGY', 66], ['78', ['78000'], 'VERSAILLES', 85], ['78', ['78100'], 'SAINT-GERMAIN-EN-LAYE', 45],
  ['78', ['78300'], 'POISSY', 38], ['77', ['77100'], 'MEAUX', 55], ['77', ['77500'], 'CHELLES', 54], ['77', ['77000'], 'MELUN', 41],
  ['59', ['59100'], 'ROUBAIX', 98], ['59', ['59200'], 'TOURCOING', 98], ['59', ['59140', '59240'], 'DUNKERQUE', 87],
  ['59', ['59300'], 'VALENCIENNES', 43], ['59', ['59500'], 'DOUAI', 40], ['59', ['59600'], 'MAUBEUGE', 29],
  ['62', ['62100'], 'CALAIS', 67], ['62', ['62200'], 'BOULOGNE-SUR-MER', 40], ['62', ['62300'], 'LENS', 31], ['62', ['62000'], 'ARRAS', 41],
  ['06', ['06400'], 'CANNES', 74], ['06', ['06600'], 'ANTIBES', 73], ['64', ['64000'], 'PAU', 77], ['64', ['64100'], 'BAYONNE', 52],
  ['64', ['64200'], 'BIARRITZ', 25], ['64', ['64500'], 'SAINT-JEAN-DE-LUZ', 14], ['56', ['56100'], 'LORIENT', 57], ['56', ['56000'], 'VANNES', 54],
  ['35', ['35400'], 'SAINT-MALO', 47], ['44', ['44600'], 'SAINT-NAZAIRE', 72], ['49', ['49300'], 'CHOLET', 54], ['17', ['17000'], 'LA ROCHELLE', 77],
  ['34', ['34500'], 'BEZIERS', 78], ['34', ['34200'], 'SETE', 44], ['11', ['11100'], 'NARBONNE', 56], ['11', ['11000'], 'CARCASSONNE', 46],
  ['57', ['57100'], 'THIONVILLE', 41], ['57', ['57600'], 'FORBACH', 21], ['02', ['02100'], 'SAINT-QUENTIN', 53], ['02', ['02200'], 'SOISSONS', 28],
  ['02', ['02000'], 'LAON', 24], ['60', ['60200'], 'COMPIEGNE', 40], ['60', ['60100'], 'CREIL', 36], ['60', ['60000'], 'BEAUVAIS', 56],
  ['01', ['01000'], 'BOURG-EN-BRESSE', 42], ['03', ['03000'], 'MOULINS', 20], ['03', ['03100'], 'MONTLUCON', 35], ['04', ['04000'], 'DIGNE-LES-BAINS', 16],
  ['05', ['05000'], 'GAP', 41], ['07', ['07000'], 'PRIVAS', 8], ['07', ['07200'], 'AUBENAS', 12], ['08', ['08000'], 'CHARLEVILLE-MEZIERES', 46],
  ['09', ['09000'], 'FOIX', 9], ['10', ['10000'], 'TROYES', 61], ['12', ['12000'], 'RODEZ', 25], ['15', ['15000'], 'AURILLAC', 26],
  ['16', ['16000'], 'ANGOULEME', 41], ['18', ['18000'], 'BOURGES', 64], ['19', ['19000'], 'TULLE', 14], ['19', ['19100'], 'BRIVE-LA-GAILLARDE', 46],
  ['22', ['22000'], 'SAINT-BRIEUC', 44], ['23', ['23000'], 'GUERET', 13], ['24', ['24000'], 'PERIGUEUX', 30], ['26', ['26000'], 'VALENCE', 64],
  ['27', ['27000'], 'EVREUX', 47], ['28', ['28000'], 'CHARTRES', 38], ['29', ['29000'], 'QUIMPER', 63], ['29', ['29470'], 'PLOUGASTEL-DAOULAS', 13],
  ['32', ['32000'], 'AUCH', 22], ['36', ['36000'], 'CHATEAUROUX', 43], ['39', ['39000'], 'LONS-LE-SAUNIER', 17], ['40', ['40000'], 'MONT-DE-MARSAN', 29],
  ['41', ['41000'], 'BLOIS', 46], ['43', ['43000'], 'LE PUY-EN-VELAY', 19], ['46', ['46000'], 'CAHORS', 19], ['47', ['47000'], 'AGEN', 33],
  ['48', ['48000'], 'MENDE', 12], ['50', ['50000'], 'SAINT-LO', 19], ['50', ['50100'], 'CHERBOURG-EN-COTENTIN', 78], ['51', ['51000'], 'CHALONS-EN-CHAMPAGNE', 44],
  ['52', ['52000'], 'CHAUMONT', 22], ['53', ['53000'], 'LAVAL', 49], ['55', ['55000'], 'BAR-LE-DUC', 15], ['58', ['58000'], 'NEVERS', 33],
  ['61', ['61000'], 'ALENCON', 26], ['65', ['65000'], 'TARBES', 42], ['68', ['68000'], 'COLMAR', 68], ['70', ['70000'], 'VESOUL', 15],
  ['71', ['71000'], 'MACON', 34], ['71', ['71100'], 'CHALON-SUR-SAONE', 45], ['73', ['73000'], 'CHAMBERY', 59], ['79', ['79000'], 'NIORT', 59],
  ['81', ['81000'], 'ALBI', 49], ['82', ['82000'], 'MONTAUBAN', 61], ['84', ['84000'], 'AVIGNON', 91], ['85', ['85000'], 'LA ROCHE-SUR-YON', 55],
  ['86', ['86000'], 'POITIERS', 89], ['88', ['88000'], 'EPINAL', 32], ['89', ['89000'], 'AUXERRE', 35], ['90', ['90000'], 'BELFORT', 47],
];

// A data table, laid out in rows as written.
// prettier-ignore
const SAINTS = ['MARTIN', 'GEORGES', 'JEAN', 'PIERRE', 'GERMAIN', 'LAURENT', 'ETIENNE', 'HILAIRE', 'AUBIN', 'ANDRE', 'DENIS', 'MAURICE', 'JULIEN', 'VINCENT', 'CYR', 'PAUL', 'SULPICE', 'MEDARD'];
// A data table, laid out in rows as written.
// prettier-ignore
const VILLAGE_BASES = ['LA CHAPELLE', 'MONTIGNY', 'VILLENEUVE', 'BEAUMONT', 'FONTENAY', 'NEUVILLE', 'CHATILLON', 'VILLIERS', 'MAISONS', 'CHAMPAGNE', 'BOISSY', 'SAVIGNY', 'LA ROCHE', 'LE MESNIL', 'SAINTE-MARIE'];
// A data table, laid out in rows as written.
// prettier-ignore
const VILLAGE_SUFFIXES = ['', '', '-LE-BOURG', '-LES-BOIS', '-LA-FORET', '-LE-CHATEAU', '-SOUS-BOIS', '-EN-VAL', '-LES-PRES', '-DU-BOIS', '-DES-CHAMPS', '-LE-VIEUX'];

// A data table, laid out in rows as written.
// prettier-ignore
const STREET_TYPES = ['RUE', 'RUE', 'RUE', 'RUE', 'RUE', 'AVENUE', 'AVENUE', 'BOULEVARD', 'PLACE', 'ALLEE', 'CHEMIN', 'IMPASSE', 'ROUTE', 'QUAI', 'SQUARE', 'COURS', 'PASSAGE', 'RESIDENCE'];
// A data table, laid out in rows as written.
// prettier-ignore
const STREET_ABBREVIATIONS: Record<string, string> = { AVENUE: 'AV', BOULEVARD: 'BD', PLACE: 'PL', ALLEE: 'ALL', CHEMIN: 'CHE', IMPASSE: 'IMP', ROUTE: 'RTE', SQUARE: 'SQ', PASSAGE: 'PASS', RESIDENCE: 'RES' };
// A data table, laid out in rows as written.
// prettier-ignore
const STREET_NAMES = [
  'DE LA REPUBLIQUE', 'VICTOR HUGO', 'JEAN JAURES', 'DU GENERAL DE GAULLE', 'PASTEUR', 'DE LA PAIX', 'DES LILAS', 'DU MOULIN', 'DE L EGLISE',
  'DES ECOLES', 'DE LA GARE', 'NATIONALE', 'DU 8 MAI 1945', 'DU 11 NOVEMBRE', 'GAMBETTA', 'JULES FERRY', 'DES ROSES', 'DU CHATEAU',
  'DES TILLEULS', 'DU STADE', 'DE LA MAIRIE', 'DES ACACIAS', 'SAINT-MARTIN', 'DE VERDUN', 'DE BELLEVILLE', 'DU COMMANDANT CHARCOT',
  'ANATOLE FRANCE', 'DES CHENES', 'DU PORT', 'DE LA LIBERATION', 'DU MARECHAL FOCH', 'DU PRESIDENT WILSON', 'DE L ABBE PIERRE',
  'DES PEUPLIERS', 'DU PONT NEUF', 'DES VIGNES', 'VOLTAIRE', 'DE LA FONTAINE', 'DES PRES', 'DU MARCHE', 'DES JARDINS', 'CARNOT',
  'DE LA LOIRE', 'DE PROVENCE', 'DES ALPES', 'DU BOIS', 'DES MARRONNIERS', 'GEORGES CLEMENCEAU', 'LOUIS PASTEUR', 'EMILE ZOLA',
  'DU GENERAL LECLERC', 'DES CERISIERS', 'DE LA RESISTANCE', 'MARCEL PAGNOL', 'JEAN MOULIN', 'DES FRERES LUMIERE', 'ALBERT CAMUS',
];
const INSIDE = ['APPARTEMENT', 'APPT', 'ETAGE', 'BOITE', 'ESCALIER'];
// A data table, laid out in rows as written.
// prettier-ignore
const OUTSIDE = ['RESIDENCE LES TILLEULS', 'RESIDENCE DU PARC', 'RESIDENCE LES PINS', 'BATIMENT', 'ENTREE', 'IMMEUBLE LE CONCORDE', 'LES JARDINS DE LA VILLE', 'CITE DES FLEURS', 'LE CLOS FLEURI'];
// A data table, laid out in rows as written.
// prettier-ignore
const LOCALITIES = ['LIEU DIT LE MOULIN', 'LIEU DIT LA CROIX', 'HAMEAU DES PINS', 'LIEU DIT LES VIGNES', 'LE BOURG', 'LIEU DIT LA FERME'];

interface ResidenceDept {
  dept: string;
  towns?: WeightedTable<readonly [string, readonly string[], string, number]>;
}

function residenceDepts(): { table: WeightedTable<ResidenceDept>; byDept: Map<string, ResidenceDept> } {
  const weights = new Map<string, number>();
  for (const p of BIRTHPLACES) {
    if (p.homeDept && p.to === BIRTH_YEARS.last) weights.set(p.homeDept, (weights.get(p.homeDept) ?? 0) + p.weight);
  }
  const byDept = new Map<string, ResidenceDept>();
  for (const dept of weights.keys()) {
    const towns = TOWNS.filter((t) => t[0] === dept);
    byDept.set(dept, {
      dept,
      towns: towns.length
        ? new WeightedTable(
            towns,
            towns.map((t) => t[3]),
          )
        : undefined,
    });
  }
  return {
    table: new WeightedTable(
      [...byDept.values()],
      [...byDept.keys()].map((d) => weights.get(d)!),
    ),
    byDept,
  };
}

const RESIDENCE = residenceDepts();
/** Share of people living in a town of the list above (the others live in a village of their department). */
const TOWN_SHARE = 0.62;

const stripAccents = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

function fit(line: string): string {
  return line.length <= LINE_MAX ? line : line.slice(0, LINE_MAX).replace(/[ '-]+$/, '');
}

function recipientLine(civility: string, firstName: string, name: string): string {
  const full = stripAccents(`${civility} ${firstName} ${name}`);
  if (full.length <= LINE_MAX) return full;
  return fit(stripAccents(`${civility} ${firstName[0]} ${name}`));
}

function villagePostcode(rng: Rng, dept: string): string {
  if (dept.length === 3) return `${dept}${1 + rng.int(9)}0`;
  if (dept === '2A') return `20${1 + rng.int(1)}${rng.int(9) + 1}0`;
  if (dept === '2B') return `202${rng.int(9) + 1}0`;
  return `${dept}${1 + rng.int(9)}${rng.int(10)}0`;
}

function villageName(rng: Rng): string {
  if (rng.chance(0.4)) return `SAINT-${rng.pick(SAINTS)}${rng.pick(VILLAGE_SUFFIXES)}`;
  const base = rng.pick(VILLAGE_BASES);
  const suffix = rng.pick(VILLAGE_SUFFIXES);
  return `${base}${suffix || `-SUR-${rng.pick(['MER', 'LOIRE', 'SEINE', 'MARNE', 'RHONE', 'GARONNE', 'ORNE', 'YONNE'])}`}`;
}

/** An address for a person; `homeDept` (birth department) makes living nearby likelier. */
export function addressLines(
  rng: Rng,
  civility: 'M' | 'MME',
  firstName: string,
  name: string,
  homeDept: string | null,
): string[] {
  const dept =
    homeDept && rng.chance(0.45)
      ? (RESIDENCE.byDept.get(homeDept) ?? RESIDENCE.table.pick(rng))
      : RESIDENCE.table.pick(rng);
  let postcodeCity: string;
  let village = false;
  if (dept.towns && rng.chance(TOWN_SHARE)) {
    const [, postcodes, city] = dept.towns.pick(rng);
    postcodeCity = `${rng.pick(postcodes)} ${city}`;
  } else {
    village = true;
    postcodeCity = `${villagePostcode(rng, dept.dept)} ${villageName(rng)}`;
  }

  const lines = [recipientLine(civility, firstName, name)];
  if (!village && rng.chance(0.3)) {
    const kind = rng.pick(INSIDE);
    lines.push(
      kind === 'ESCALIER'
        ? `ESCALIER ${'ABCD'[rng.int(4)]} ETAGE ${rng.int(8)}`
        : kind === 'ETAGE'
          ? `ETAGE ${1 + rng.int(9)} PORTE ${rng.pick(['GAUCHE', 'DROITE', 'FACE'])}`
          : `${kind} ${1 + rng.int(120)}`,
    );
  }
  if (!village && rng.chance(0.15)) {
    const outside = rng.pick(OUTSIDE);
    lines.push(outside === 'BATIMENT' || outside === 'ENTREE' ? `${outside} ${'ABCDEFGH'[rng.int(8)]}` : outside);
  }
  const number = 1 + Math.floor(rng.float() ** 2 * 180);
  const suffix = rng.chance(0.05) ? rng.pick([' BIS', ' TER']) : '';
  const type = rng.pick(STREET_TYPES);
  const streetName = rng.pick(STREET_NAMES);
  let street = `${number}${suffix} ${type} ${streetName}`;
  if (street.length > LINE_MAX && STREET_ABBREVIATIONS[type])
    street = `${number}${suffix} ${STREET_ABBREVIATIONS[type]} ${streetName}`;
  lines.push(fit(street));
  if (village ? rng.chance(0.15) : rng.chance(0.02))
    lines.push(!village || rng.chance(0.3) ? `BP ${1 + rng.int(400)}` : rng.pick(LOCALITIES));
  lines.push(fit(postcodeCity));
  return lines;
}
