import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/**
 * The one shape of every list the API answers: the items, and `next`, the cursor of the following page, null on
 * the last one. A list that comes whole (reference data, a partner's keys) answers the same shape with `next`
 * null, so a client reads every list with one loop and a list can gain pages later without breaking anyone.
 */
export interface ListPage<T> {
  items: T[];
  next: string | null;
}

/** A list that comes whole: `{ items, next: null }`. */
export function wholeList<T>(items: T[]): ListPage<T> {
  return { items, next: null };
}

/**
 * Documents a 200 answer `{ items: Item[], next }`. `next` describes the cursor when the list has pages; without it
 * the list comes whole and `next` is always null.
 */
export function ApiListResponse(item: Type<unknown>, next?: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description: next
        ? `One page: \`items\`, and \`next\` to pass back for the following page (null on the last)`
        : 'The whole list (`next` is always null)',
      schema: {
        type: 'object',
        required: ['items', 'next'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          next: { type: 'string', nullable: true, description: next ?? 'Always null: the list comes whole' },
        },
      },
    }),
  );
}
