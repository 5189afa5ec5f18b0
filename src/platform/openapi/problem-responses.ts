import type { OpenAPIObject } from '@nestjs/swagger';
import type { RoutePolicy } from '../auth/route-policies.js';
import type { ErrorSpec } from '../errors/catalogue.js';

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** RFC 9457 problem document as this API answers it (the members every error has; some add their own). */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string', example: 'urn:vitale:problem:card-not-found' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    code: { type: 'string', description: 'Stable machine-readable code (docs/errors.md)', example: 'CARD_NOT_FOUND' },
    detail: { type: 'string', description: 'What went wrong and how to fix it; never repeats the request' },
    instance: { type: 'string' },
    requestId: { type: 'string', description: 'Also in the x-request-id header; quote it to the operators' },
  },
  additionalProperties: true,
};

/**
 * Writes each operation's error responses from its route's declared errors (@Answers and its policy's): one response
 * per status, application/problem+json, whose `code` is an enum of that status's codes, each described. A response the
 * controller already documents for that status (a body of its own, e.g. health's 503) keeps its content beside.
 */
export function describeProblemResponses(document: OpenAPIObject, policies: Map<string, RoutePolicy>): void {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = PROBLEM_SCHEMA as never;
  for (const [openApiPath, item] of Object.entries(document.paths)) {
    const path = openApiPath.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, operation] of Object.entries(item as Record<string, { responses?: Record<string, unknown> }>)) {
      const policy = policies.get(`${method.toUpperCase()} ${path}`);
      if (!policy || typeof operation !== 'object' || operation === null) continue;
      operation.responses ??= {};
      const byStatus = new Map<number, ErrorSpec[]>();
      for (const e of [...policy.answers].sort((a, b) => a.code.localeCompare(b.code))) {
        byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
      }
      for (const [status, errors] of [...byStatus].sort(([a], [b]) => a - b)) {
        const list = errors.map((e) => `\`${e.code}\`: ${e.description}`).join('\n\n');
        const existing = operation.responses[String(status)] as
          { description?: string; content?: Record<string, unknown> } | undefined;
        operation.responses[String(status)] = {
          ...existing,
          description: [existing?.description, list].filter(Boolean).join('\n\n'),
          content: {
            ...existing?.content,
            [PROBLEM_MEDIA_TYPE]: {
              schema: {
                allOf: [
                  { $ref: '#/components/schemas/Problem' },
                  { type: 'object', properties: { code: { type: 'string', enum: errors.map((e) => e.code) } } },
                ],
              },
            },
          },
        };
      }
    }
  }
}
