// House rule: only repositories (*.repository.ts), src/platform/database and the migrations touch SQL, the ORM and
// pg. The configuration decides where the rule applies; the rule finds, in a file where it applies, value imports of
// the database libraries, SQL statements written as strings, and the ORM's query entry points.
import { firstValueUse, isDecoratorUse } from '../value-use.js';

const LIBRARIES = ['typeorm', 'pg', 'pg-copy-streams'];
const isLibrary = (source) => LIBRARIES.some((name) => source === name || source.startsWith(`${name}/`));

/** The ORM's ways into SQL: raw queries, query builders and the generic repositories. */
const QUERY_METHODS = new Set([
  'query',
  'createQueryBuilder',
  'getRepository',
  'getTreeRepository',
  'createQueryRunner',
]);

// Statements as the codebase writes them, keywords in capitals, checked from the text's start (after blanks and SQL
// comments). Capitals alone also keep prose out ("Select the vendor from the list" is not SQL); the same statements
// in lower case count too, SELECT then only with a FROM.
const STATEMENTS = [
  /^SELECT\s/,
  /^INSERT\s+INTO\s/,
  /^UPDATE\s+\S+[\s\S]*?\sSET\s/,
  /^DELETE\s+FROM\s/,
  /^WITH\s+(RECURSIVE\s+)?\S+[\s\S]*?\sAS\s+(NOT\s+)?(MATERIALIZED\s+)?\(/,
  /^COPY\s+[("\w]/,
  /^TRUNCATE\s+\S/,
  /^(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+|UNIQUE\s+|TEMP(ORARY)?\s+|MATERIALIZED\s+|IF\s+(NOT\s+)?EXISTS\s+)*(TABLE|INDEX|VIEW|SCHEMA|ROLE|USER|FUNCTION|PROCEDURE|TRIGGER|EXTENSION|SEQUENCE|TYPE|DATABASE|POLICY|DOMAIN|PUBLICATION|RULE)\b/,
  /^LOCK\s+TABLE\s/,
  /^SET\s+(LOCAL|SESSION)\s/,
];
const LOWER_STATEMENTS = [
  /^select\s[\s\S]*\sfrom\s/,
  ...STATEMENTS.slice(1).map((re) => new RegExp(re.source.replace(/[A-Z]{2,}/g, (word) => word.toLowerCase()))),
];

const LEADING = /^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/;

export function isSqlStatement(text) {
  const body = text.replace(LEADING, '');
  return STATEMENTS.some((re) => re.test(body)) || LOWER_STATEMENTS.some((re) => re.test(body));
}

const HINTS = {
  DataSource:
    ' To open a transaction, inject the Transactions provider (src/platform/database/transactions.ts) and pass its ' +
    'EntityManager to the repositories.',
  QueryFailedError:
    " PostgreSQL's errors are the repository's to map (src/platform/database/pg-error.ts) into DomainErrors.",
};

const WHERE = 'SQL, the ORM and pg belong in a *.repository.ts (or src/platform/database)';

export default {
  meta: {
    type: 'problem',
    docs: { description: 'SQL, the ORM and pg only in repositories, src/platform/database and migrations' },
    schema: [
      {
        type: 'object',
        properties: { decorators: { type: 'boolean', description: "allow TypeORM's decorators (entity files)" } },
        additionalProperties: false,
      },
    ],
    messages: {
      valueImport:
        "'{{name}}' from '{{source}}' is used at run time here (line {{line}}): " +
        `${WHERE}. Add a method to this module's repository and call it; a type alone may be imported with \`import type\`.{{hint}}`,
      sideEffectImport: `'{{source}}' imported here: ${WHERE}.`,
      sql: `This string is an SQL statement: ${WHERE}. Add a method to this module's repository and call it.`,
      queryCall:
        `\`.{{method}}(\` reaches SQL through the ORM: ${WHERE}. ` +
        "Add a method to this module's repository (it receives the transaction's EntityManager) and call it.",
    },
  },
  create(context) {
    const { decorators = false } = context.options[0] ?? {};
    const sourceCode = context.sourceCode;
    const checkSource = (node) => node.source && typeof node.source.value === 'string' && isLibrary(node.source.value);

    function checkText(node, text) {
      if (isSqlStatement(text)) context.report({ node, messageId: 'sql' });
    }

    return {
      ImportDeclaration(node) {
        if (!checkSource(node) || node.importKind === 'type') return;
        const source = node.source.value;
        if (node.specifiers.length === 0) {
          context.report({ node, messageId: 'sideEffectImport', data: { source } });
          return;
        }
        const allow = decorators && source === 'typeorm' ? isDecoratorUse : () => false;
        for (const specifier of node.specifiers) {
          const use = firstValueUse(sourceCode, specifier, allow);
          if (use) {
            context.report({
              node: specifier,
              messageId: 'valueImport',
              data: {
                name: specifier.local.name,
                source,
                line: use.loc.start.line,
                hint: HINTS[specifier.local.name] ?? '',
              },
            });
          }
        }
      },
      'ExportNamedDeclaration, ExportAllDeclaration'(node) {
        if (checkSource(node) && node.exportKind !== 'type') {
          context.report({ node, messageId: 'sideEffectImport', data: { source: node.source.value } });
        }
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal' && typeof node.source.value === 'string' && isLibrary(node.source.value)) {
          context.report({ node, messageId: 'sideEffectImport', data: { source: node.source.value } });
        }
      },
      Literal(node) {
        if (typeof node.value !== 'string') return;
        const parent = node.parent;
        if (parent && 'source' in parent && parent.source === node) return; // an import's module name
        checkText(node, node.value);
      },
      TemplateLiteral(node) {
        checkText(node, node.quasis.map((q) => q.value.cooked ?? q.value.raw).join('$1'));
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression') return;
        const name = callee.computed
          ? callee.property.type === 'Literal' && callee.property.value
          : callee.property.type === 'Identifier' && callee.property.name;
        if (typeof name === 'string' && QUERY_METHODS.has(name)) {
          context.report({ node: callee.property, messageId: 'queryCall', data: { method: name } });
        }
      },
    };
  },
};
