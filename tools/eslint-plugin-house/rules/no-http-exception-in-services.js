// House rule: HTTP belongs to the HTTP layer (controllers, guards, filters, pipes, interceptors). Services,
// repositories, jobs and the rest throw DomainError with a code; the problem filter turns it into the answer, so
// the same code reads the same from a job, the CLI or a route.
const NEST = /^@nestjs\/common(\/|$)/;
const isHttpException = (name) => typeof name === 'string' && /Exception$/.test(name);

export default {
  meta: {
    type: 'problem',
    docs: { description: 'no HTTP exception outside the HTTP layer' },
    schema: [],
    messages: {
      http:
        "'{{name}}' is an HTTP exception, and this file is not an HTTP one (controller, guard, filter, pipe, " +
        'interceptor). Throw a DomainError (src/platform/errors/domain-error.ts) with a code instead: the problem ' +
        'filter maps it to the HTTP status and problem+json body.',
    },
  },
  create(context) {
    const namespaces = new Set();
    const nameOf = (node) => (node.type === 'Identifier' ? node.name : node.value);
    return {
      ImportDeclaration(node) {
        if (!NEST.test(node.source.value)) return;
        for (const specifier of node.specifiers) {
          if (specifier.type === 'ImportNamespaceSpecifier') namespaces.add(specifier.local.name);
          else if (specifier.type === 'ImportSpecifier' && isHttpException(nameOf(specifier.imported))) {
            context.report({ node: specifier, messageId: 'http', data: { name: nameOf(specifier.imported) } });
          }
        }
      },
      ExportNamedDeclaration(node) {
        if (!node.source || !NEST.test(node.source.value)) return;
        for (const specifier of node.specifiers) {
          if (isHttpException(nameOf(specifier.local))) {
            context.report({ node: specifier, messageId: 'http', data: { name: nameOf(specifier.local) } });
          }
        }
      },
      MemberExpression(node) {
        // `common.NotFoundException` through `import * as common from '@nestjs/common'`.
        if (node.object.type === 'Identifier' && namespaces.has(node.object.name) && !node.computed) {
          if (isHttpException(node.property.name)) {
            context.report({ node, messageId: 'http', data: { name: node.property.name } });
          }
        }
      },
    };
  },
};
