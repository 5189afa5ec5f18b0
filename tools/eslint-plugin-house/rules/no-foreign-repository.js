// House rule: a repository is its module's own. Another module reaches the data through that module's service
// (exported by its module), so each table keeps one owner. Types shared across modules live beside the entity or in
// a types file, so even `import type` from another module's repository is refused.
import { moduleDirOf, resolveRelative, shown } from '../paths.js';

const REPOSITORY = /\.repository(\.[mc]?[jt]s)?$/;

export default {
  meta: {
    type: 'problem',
    docs: { description: "no import of another module's repository" },
    schema: [],
    messages: {
      foreign:
        "'{{source}}' is the repository of another module ({{theirs}}; this file is in {{ours}}): modules talk " +
        "through services. Call a method of that module's service (exported by its module); types shared across " +
        'modules go beside the entity or in a types file.',
    },
  },
  create(context) {
    const file = context.filename;
    const cwd = context.cwd;

    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.') || !REPOSITORY.test(source)) return;
      const target = resolveRelative(file, source);
      const ours = moduleDirOf(file);
      const theirs = moduleDirOf(target);
      if (ours !== theirs) {
        context.report({
          node,
          messageId: 'foreign',
          data: {
            source,
            theirs: theirs ? shown(cwd, theirs) : 'no module',
            ours: ours ? shown(cwd, ours) : 'no module',
          },
        });
      }
    }

    return {
      'ImportDeclaration, ExportNamedDeclaration, ExportAllDeclaration'(node) {
        if (node.source) check(node.source, node.source.value);
      },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
    };
  },
};
