import type { NameGroup } from './birthplaces.js';
import type { Rng } from './rng.js';

/**
 * Name lists for synthetic identities, in the civil-status form the register stores (capitals, accents kept,
 * hyphens, apostrophes, spaces). Each list is ordered roughly by frequency: picks favour its head.
 * Only letters accepted by checkName() (src/register/identity.ts) appear: no Ñ, Ã, Õ, Ş...
 */

type Era = 0 | 1 | 2 | 3 | 4;

/** Birth-year eras: before 1946, 1946-1965, 1966-1985, 1986-2005, from 2006. */
export function eraOf(year: number): Era {
  return year < 1946 ? 0 : year < 1966 ? 1 : year < 1986 ? 2 : year < 2006 ? 3 : 4;
}

// A data table, laid out in rows as written.
// prettier-ignore
const FR_MALE: Record<Era, readonly string[]> = {
  0: ['JEAN', 'PIERRE', 'ANDRÉ', 'RENÉ', 'LOUIS', 'MARCEL', 'ROGER', 'GEORGES', 'HENRI', 'PAUL', 'ROBERT', 'MAURICE', 'RAYMOND', 'LUCIEN', 'JACQUES', 'FERNAND', 'ÉMILE', 'GASTON', 'ALBERT', 'JOSEPH', 'CLAUDE', 'BERNARD', 'FRANÇOIS', 'MICHEL', 'GÉRARD', 'ROLAND', 'MARIUS', 'LÉON', 'JEAN-BAPTISTE', 'ANTOINE'],
  1: ['MICHEL', 'JEAN-PIERRE', 'ALAIN', 'BERNARD', 'GÉRARD', 'DANIEL', 'PATRICK', 'CHRISTIAN', 'JEAN-CLAUDE', 'PHILIPPE', 'JACQUES', 'SERGE', 'DIDIER', 'JEAN-LUC', 'JEAN-FRANÇOIS', 'PIERRE', 'DOMINIQUE', 'FRANCIS', 'GUY', 'JEAN-MARC', 'JOËL', 'THIERRY', 'ÉRIC', 'PASCAL', 'YVES', 'RENÉ', 'CLAUDE', 'ROLAND', 'HERVÉ', 'JEAN-PAUL'],
  2: ['CHRISTOPHE', 'STÉPHANE', 'FRÉDÉRIC', 'LAURENT', 'SÉBASTIEN', 'DAVID', 'NICOLAS', 'OLIVIER', 'THIERRY', 'PASCAL', 'ÉRIC', 'CÉDRIC', 'JÉRÔME', 'VINCENT', 'FRANCK', 'LUDOVIC', 'SYLVAIN', 'FABRICE', 'GRÉGORY', 'EMMANUEL', 'BRUNO', 'XAVIER', 'JEAN-PHILIPPE', 'ARNAUD', 'MICKAËL', 'YANNICK', 'DAMIEN', 'BENOÎT', 'GUILLAUME', 'ANTHONY'],
  3: ['THOMAS', 'NICOLAS', 'JULIEN', 'QUENTIN', 'MAXIME', 'KÉVIN', 'ALEXANDRE', 'ROMAIN', 'ANTHONY', 'ANTOINE', 'CLÉMENT', 'ALEXIS', 'HUGO', 'VALENTIN', 'JÉRÉMY', 'LUCAS', 'BAPTISTE', 'THÉO', 'FLORIAN', 'PAUL', 'BENJAMIN', 'LOUIS', 'MATHIEU', 'ADRIEN', 'CORENTIN', 'DYLAN', 'JORDAN', 'PIERRE', 'VICTOR', 'JEAN-BAPTISTE'],
  4: ['GABRIEL', 'LÉO', 'RAPHAËL', 'LOUIS', 'LUCAS', 'ARTHUR', 'JULES', 'HUGO', 'MAËL', 'NOAH', 'ADAM', 'SACHA', 'ETHAN', 'NATHAN', 'TOM', 'THÉO', 'PAUL', 'NOLAN', 'TIMÉO', 'AARON', 'MATHIS', 'ENZO', 'LIAM', 'GABIN', 'AXEL', 'VICTOR', 'ÉLIO', 'NOÉ', 'MARTIN', 'ISAAC'],
};

// A data table, laid out in rows as written.
// prettier-ignore
const FR_FEMALE: Record<Era, readonly string[]> = {
  0: ['MARIE', 'JEANNE', 'MARGUERITE', 'GERMAINE', 'LOUISE', 'YVONNE', 'MADELEINE', 'SUZANNE', 'MARCELLE', 'DENISE', 'SIMONE', 'LUCIENNE', 'PAULETTE', 'ODETTE', 'ANDRÉE', 'RENÉE', 'HÉLÈNE', 'COLETTE', 'JACQUELINE', 'GENEVIÈVE', 'MARIE-LOUISE', 'THÉRÈSE', 'HUGUETTE', 'RAYMONDE', 'LÉONIE', 'ALICE', 'GISÈLE', 'MONIQUE', 'YVETTE', 'ÉLISE'],
  1: ['MONIQUE', 'FRANÇOISE', 'CATHERINE', 'NICOLE', 'MARTINE', 'CHRISTIANE', 'MICHÈLE', 'DANIELLE', 'SYLVIE', 'CHANTAL', 'BRIGITTE', 'ANNIE', 'JOSIANE', 'MARIE-CLAIRE', 'ÉVELYNE', 'DOMINIQUE', 'NADINE', 'ÉLISABETH', 'MARIE-CHRISTINE', 'PATRICIA', 'CHRISTINE', 'MARIE-FRANCE', 'JOSETTE', 'ODILE', 'MARYSE', 'MIREILLE', 'ARLETTE', 'GINETTE', 'COLETTE', 'HÉLÈNE'],
  2: ['NATHALIE', 'ISABELLE', 'SANDRINE', 'VALÉRIE', 'STÉPHANIE', 'CÉLINE', 'VÉRONIQUE', 'SÉVERINE', 'KARINE', 'CAROLINE', 'SOPHIE', 'CORINNE', 'VIRGINIE', 'LAURENCE', 'EMMANUELLE', 'DELPHINE', 'AURÉLIE', 'CHRISTELLE', 'MURIEL', 'FLORENCE', 'ANNE-SOPHIE', 'CÉCILE', 'HÉLÈNE', 'PATRICIA', 'ÉMILIE', 'MÉLANIE', 'ANNE', 'AGNÈS', 'MAGALI', 'SABRINA'],
  3: ['JULIE', 'CAMILLE', 'LAURA', 'MARION', 'MANON', 'PAULINE', 'MARINE', 'ÉMILIE', 'SARAH', 'LÉA', 'ANAÏS', 'MATHILDE', 'CHLOÉ', 'MÉLISSA', 'CLARA', 'CHARLOTTE', 'AMANDINE', 'OCÉANE', 'JUSTINE', 'MORGANE', 'ÉLODIE', 'LUCIE', 'ALICE', 'INÈS', 'AUDREY', 'MARGAUX', 'CLÉMENCE', 'ÉLISA', 'MAËLLE', 'ANNE-CLAIRE'],
  4: ['JADE', 'LOUISE', 'EMMA', 'ALICE', 'AMBRE', 'LINA', 'ROSE', 'CHLOÉ', 'MIA', 'LÉA', 'ANNA', 'MILA', 'JULIA', 'INÈS', 'LÉNA', 'ZOÉ', 'AGATHE', 'LOU', 'CAMILLE', 'ROMANE', 'NINA', 'EVA', 'MANON', 'LÉONIE', 'INAYA', 'CHARLOTTE', 'IRIS', 'LUCIE', 'CAPUCINE', 'ADÈLE'],
};

// A data table, laid out in rows as written.
// prettier-ignore
const FR_SURNAMES = [
  'MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT', 'SIMON', 'MICHEL',
  'LEFÈVRE', 'LEROY', 'ROUX', 'DAVID', 'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD', 'BONNET', 'DUPONT', 'LAMBERT', 'FONTAINE',
  'ROUSSEAU', 'VINCENT', 'MULLER', 'LEFEBVRE', 'FAURE', 'ANDRÉ', 'MERCIER', 'BLANC', 'GUÉRIN', 'BOYER', 'GARNIER', 'CHEVALIER',
  'FRANÇOIS', 'LEGRAND', 'GAUTHIER', 'GARCIA', 'PERRIN', 'ROBIN', 'CLÉMENT', 'MORIN', 'NICOLAS', 'HENRY', 'ROUSSEL', 'MATHIEU',
  'GAUTIER', 'MASSON', 'MARCHAND', 'DUVAL', 'DENIS', 'DUMONT', 'MARIE', 'LEMAIRE', 'NOËL', 'MEYER', 'DUFOUR', 'MEUNIER',
  'BRUN', 'BLANCHARD', 'GIRAUD', 'JOLY', 'RIVIÈRE', 'LUCAS', 'BRUNET', 'GAILLARD', 'BARBIER', 'ARNAUD', 'MARTINEZ', 'GÉRARD',
  'ROCHE', 'RENARD', 'SCHMITT', 'ROY', 'LEROUX', 'COLIN', 'VIDAL', 'CARON', 'PICARD', 'ROGER', 'FABRE', 'AUBERT',
  'LEMOINE', 'RENAUD', 'DUMAS', 'LACROIX', 'OLIVIER', 'PHILIPPE', 'BOURGEOIS', 'PIERRE', 'BENOÎT', 'REY', 'LECLERC', 'PAYET',
  'ROLLAND', 'LECLERCQ', 'GUILLAUME', 'LECOMTE', 'LOPEZ', 'JEAN', 'DUPUY', 'GUILLOT', 'HUBERT', 'BERGER', 'CARPENTIER', 'SANCHEZ',
  'DUPUIS', 'MOULIN', 'LOUIS', 'DESCHAMPS', 'HUET', 'VASSEUR', 'PEREZ', 'BOUCHER', 'FLEURY', 'ROYER', 'KLEIN', 'JACQUET',
  'ADAM', 'PARIS', 'POIRIER', 'MARTY', 'AUBRY', 'GUYOT', 'CARRÉ', 'CHARLES', 'RENAULT', 'CHARPENTIER', 'MÉNARD', 'MAILLARD',
  'BARON', 'BERTIN', 'BAILLY', 'HERVÉ', 'SCHNEIDER', 'FERNANDEZ', 'LE GALL', 'COLLET', 'LÉGER', 'BOUVIER', 'JULIEN', 'PRÉVOST',
  'MILLET', 'PERROT', 'DANIEL', 'LE ROUX', 'COUSIN', 'GERMAIN', 'BRETON', 'BESSON', 'LANGLOIS', 'RÉMY', 'LE GOFF', 'PELLETIER',
  'LÉVÊQUE', 'PERRIER', 'LEBLANC', 'BARRÉ', 'LEBRUN', 'MARCHAL', 'WEBER', 'MALLET', 'HAMON', 'BOULANGER', 'JACOB', 'MONNIER',
  'MICHAUD', 'GUICHARD', 'GILLET', 'ÉTIENNE', 'GRONDIN', 'POULAIN', 'TESSIER', 'CHEVALLIER', 'COLLIN', 'CHAUVIN', 'BOUCHET', 'GAY',
  'LEMAÎTRE', 'BÉNARD', 'MARÉCHAL', 'HUMBERT', 'REYNAUD', 'ANTOINE', 'HOARAU', 'PERRET', 'BARTHÉLEMY', 'CORDIER', 'PICHON', 'LEJEUNE',
  'GILBERT', 'LAMY', 'DELAUNAY', 'PASQUIER', 'CARLIER', 'LAPORTE', 'LE BIHAN', 'LE BRIS', 'KERBRAT', 'OLLIVIER', 'BOUCHARD', 'LAGARDE',
];

/** Names with a particle or an elided article: spaces and apostrophes inside the name. */
// A data table, laid out in rows as written.
// prettier-ignore
const FR_PARTICLE_SURNAMES = [
  "D'ARTAGNAN", "D'ALEMBERT", "L'HERMITE", "L'HUILLIER", "D'AUBIGNÉ", "D'HONDT", 'DE LA FONTAINE', 'DE VILLIERS', 'DE LA TOUR',
  'DE SAINT-EXUPÉRY', 'DU PONT', 'DU BELLAY', 'DE LA ROCHEFOUCAULD', 'DES ESSARTS', 'DE MONTMORENCY', 'DE LA MORINIÈRE', 'LE BRETON DE VONNE',
  "D'ESTIENNE D'ORVES", 'DE BROGLIE', 'DU GUESCLIN', "DE L'ÉPÉE", "D'ANGLEMONT DE TASSIGNY",
];

// A data table, laid out in rows as written.
// prettier-ignore
const GROUPS: Record<Exclude<NameGroup, 'fr' | 'algeria-before-1962'>, { male: readonly string[]; female: readonly string[]; surnames: readonly string[] }> = {
  maghreb: {
    male: ['MOHAMED', 'AHMED', 'KARIM', 'RACHID', 'MUSTAPHA', 'ABDELKADER', 'SAMIR', 'NABIL', 'YOUSSEF', 'MEHDI', 'KAMEL', 'HASSAN', 'SAÏD', 'FARID', 'KHALID', 'OMAR', 'BILAL', 'SOFIANE', 'ALI', 'DJAMEL'],
    female: ['FATIMA', 'AÏCHA', 'KHADIJA', 'NADIA', 'SAMIRA', 'MALIKA', 'LEILA', 'YASMINA', 'SOUAD', 'NAJAT', 'HOURIA', 'ZINEB', 'MERIEM', 'SALMA', 'RANIA', 'AMINA', 'SOFIA', 'NORA', 'DALILA', 'HAYAT'],
    surnames: ['BENALI', 'BENAMAR', 'BOUAZIZ', 'HADDAD', 'MANSOURI', 'BELKACEM', 'BRAHIMI', 'CHERIF', 'AMRANI', 'BOUZID', 'KHELIFI', 'MEZIANE', 'SAÏDI', 'TAHAR', 'ZERROUK', 'EL AMRANI', 'BEN SALAH', 'AÏT AHMED', 'OUALI', 'HAMDI', 'EL IDRISSI', 'BEN YOUSSEF'],
  },
  iberian: {
    male: ['JOSÉ', 'MANUEL', 'ANTONIO', 'JOAO', 'FRANCISCO', 'CARLOS', 'JOAQUIM', 'FERNANDO', 'PEDRO', 'MIGUEL', 'RUI', 'PAULO', 'LUIS', 'JORGE', 'JUAN'],
    female: ['MARIA', 'ANA', 'ISABEL', 'CARMEN', 'DOLORES', 'ROSA', 'FILOMENA', 'FATIMA', 'TERESA', 'PILAR', 'LUCIA', 'MARIA JOSÉ', 'CRISTINA', 'CONCEPCION', 'SANDRA'],
    surnames: ['DA SILVA', 'DOS SANTOS', 'FERREIRA', 'PEREIRA', 'RODRIGUES', 'FERNANDES', 'GONÇALVES', 'MARTINS', 'LOPES', 'DA COSTA', 'DE SOUSA', 'ALVES', 'RIBEIRO', 'GARCIA', 'MARTINEZ', 'LOPEZ', 'SANCHEZ', 'FERNANDEZ', 'GONZALEZ', 'RODRIGUEZ', 'PEREZ', 'MUNOZ', 'DE OLIVEIRA', 'CARVALHO', 'TEIXEIRA'],
  },
  italian: {
    male: ['GIUSEPPE', 'ANTONIO', 'GIOVANNI', 'FRANCESCO', 'MARIO', 'LUIGI', 'SALVATORE', 'ANGELO', 'VINCENZO', 'PAOLO'],
    female: ['MARIA', 'ANNA', 'GIUSEPPINA', 'ROSA', 'ANGELA', 'GIOVANNA', 'TERESA', 'LUCIA', 'CARMELA', 'FRANCESCA'],
    surnames: ['ROSSI', 'RUSSO', 'FERRARI', 'ESPOSITO', 'BIANCHI', 'ROMANO', 'COLOMBO', 'RICCI', 'MARINO', 'GRECO', 'BRUNO', 'GALLO', 'CONTI', 'DE LUCA', 'COSTA', 'GIORDANO', 'MANCINI', "D'ANGELO", "D'AMICO", 'DI MARTINO'],
  },
  westafrica: {
    male: ['MAMADOU', 'MOUSSA', 'IBRAHIMA', 'OUSMANE', 'ABDOULAYE', 'SEYDOU', 'AMADOU', 'BOUBACAR', 'CHEIKH', 'JEAN-BAPTISTE', 'SÉKOU', 'YAO'],
    female: ['AÏSSATOU', 'FATOUMATA', 'MARIAMA', 'AMINATA', 'KADIATOU', 'AWA', 'FANTA', 'HAWA', 'ADJA', 'MARIAM', 'AMÉNAN', 'GRÂCE'],
    surnames: ['DIALLO', 'TRAORÉ', 'DIOP', 'KEITA', 'COULIBALY', 'NDIAYE', "N'DIAYE", 'CISSÉ', 'CAMARA', 'KONÉ', 'SOW', 'BA', 'FALL', 'SY', 'TOURÉ', 'DIARRA', 'SYLLA', 'KOUASSI', "N'GUESSAN", 'KONATÉ'],
  },
  other: {
    male: ['MEHMET', 'AHMET', 'JAN', 'ANDRZEJ', 'WEI', 'MINH', 'JOHN', 'MICHAEL', 'THOMAS', 'PETER', 'ION', 'RAJ'],
    female: ['AYSE', 'FATMA', 'ANNA', 'KATARZYNA', 'JING', 'LAN', 'MARY', 'SARAH', 'ELENA', 'MARIA', 'PRIYA', 'NGOC ANH'],
    surnames: ['YILMAZ', 'KAYA', 'DEMIR', 'ÇELIK', 'KOWALSKI', 'NOWAK', 'WANG', 'LI', 'ZHANG', 'CHEN', 'NGUYEN', 'TRAN', 'LE', 'PHAM', 'SMITH', 'MÜLLER', 'SCHMIDT', 'POPESCU', 'SINGH', "O'BRIEN", 'VAN DER BERG', 'JANSSENS'],
  },
};

export interface PersonNames {
  firstName: string;
  birthName: string;
  usageName: string | null;
}

function groupFor(rng: Rng, group: NameGroup): Exclude<NameGroup, 'algeria-before-1962'> {
  if (group === 'algeria-before-1962') return rng.chance(0.6) ? 'fr' : 'maghreb';
  // Second generation and mixed families: a share of people born abroad bear French names, and conversely.
  if (group !== 'fr' && rng.chance(0.2)) return 'fr';
  return group;
}

function frenchSurname(rng: Rng): string {
  const u = rng.float();
  if (u < 0.03) return rng.pick(FR_PARTICLE_SURNAMES);
  if (u < 0.07) {
    const a = rng.pickFrequent(FR_SURNAMES);
    let b = rng.pickFrequent(FR_SURNAMES);
    if (b === a) b = rng.pick(FR_SURNAMES);
    return a === b ? a : `${a}-${b}`; // double name
  }
  return rng.pickFrequent(FR_SURNAMES);
}

function surnameOf(rng: Rng, group: Exclude<NameGroup, 'algeria-before-1962'>): string {
  if (group === 'fr') return frenchSurname(rng);
  if (rng.chance(0.15)) return frenchSurname(rng); // the other parent's name
  return rng.pickFrequent(GROUPS[group].surnames);
}

/** First name, birth name and (sometimes) usage name for a person born in `year`. */
export function personNames(rng: Rng, male: boolean, year: number, group: NameGroup): PersonNames {
  const g = groupFor(rng, group);
  let firstName: string;
  if (g === 'fr' || rng.chance(year >= 1986 ? 0.35 : 0.1))
    firstName = rng.pickFrequent((male ? FR_MALE : FR_FEMALE)[eraOf(year)]);
  else firstName = rng.pickFrequent(male ? GROUPS[g].male : GROUPS[g].female);
  const birthName = surnameOf(rng, g);
  // Usage names: mostly a spouse's name taken by women; sometimes both names joined.
  let usageName: string | null = null;
  const age = 2026 - year;
  if (!male && age >= 22 && rng.chance(age >= 40 ? 0.55 : 0.35)) {
    const spouse = surnameOf(rng, rng.chance(0.8) ? g : 'fr');
    usageName = spouse === birthName ? null : rng.chance(0.12) ? `${spouse}-${birthName}` : spouse;
  } else if (male && age >= 22 && rng.chance(0.01)) {
    usageName = `${birthName}-${surnameOf(rng, g)}`;
  }
  if (usageName !== null && (usageName.length > 42 || usageName === birthName)) usageName = null;
  return { firstName, birthName, usageName };
}
