import type { Type } from '@nestjs/common';
import { createRequire } from 'node:module';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverRoutes } from './support/routes.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Meta = { type: string; name?: string; propertyName: string };
type TypeStorage = { findTypeMetadata(t: Type, p: string): { typeFunction: () => Type } | undefined };

/** class-transformer's @Type records (the build `import 'class-transformer'` loads here: its CommonJS one). */
const typeStorage = (
  createRequire(import.meta.url)('class-transformer/cjs/storage.js') as { defaultMetadataStorage: TypeStorage }
).defaultMetadataStorage;
const nestedType = (cls: Type, property: string): Type | undefined =>
  typeStorage.findTypeMetadata(cls, property)?.typeFunction();

/** Every DTO class a route's body reads, and the classes nested in them (their @Type), each once. */
function bodyClasses(roots: Type[]): Type[] {
  const seen = new Set<Type>();
  const visit = (cls: Type) => {
    if (seen.has(cls)) return;
    seen.add(cls);
    const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as Meta[];
    for (const m of metas.filter((x) => x.type === ValidationTypes.NESTED_VALIDATION)) {
      const typed = nestedType(cls, m.propertyName);
      if (typed) visit(typed);
    }
  };
  roots.forEach(visit);
  return [...seen];
}

/**
 * class-validator lets an absent property through a nested rule (@ValidateNested checks an object when there is
 * one): a body without `cohort` once reached the campaign service and answered 500. Every nested property must say
 * whether it may be absent (@IsOptional) or not (@IsDefined, @IsObject, @IsArray).
 */
describe('the validation rules of every body', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never leaves a nested property free to be absent without saying so', () => {
    const roots = discoverRoutes(t)
      .map((r) => r.bodyDto)
      .filter((c): c is Type => !!c);
    const classes = bodyClasses(roots);
    const unsaid: string[] = [];
    let nested = 0;
    for (const cls of classes) {
      const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as Meta[];
      for (const m of metas.filter((x) => x.type === ValidationTypes.NESTED_VALIDATION)) {
        nested++;
        const own = metas.filter((x) => x.propertyName === m.propertyName);
        const said = own.some(
          (x) =>
            x.type === ValidationTypes.CONDITIONAL_VALIDATION ||
            x.type === ValidationTypes.IS_DEFINED ||
            (x.type === ValidationTypes.CUSTOM_VALIDATION && ['isObject', 'isArray'].includes(x.name ?? '')),
        );
        if (!said) unsaid.push(`${cls.name}.${m.propertyName}`);
      }
    }
    expect(nested).toBeGreaterThan(3);
    expect(unsaid).toEqual([]);
  });

  it('never turns a JSON body value into a number (a boolean or a string given as `version` once passed as 1)', () => {
    const roots = discoverRoutes(t)
      .map((r) => r.bodyDto)
      .filter((c): c is Type => !!c);
    const converted: string[] = [];
    for (const cls of bodyClasses(roots)) {
      const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as Meta[];
      for (const property of new Set(metas.map((m) => m.propertyName)))
        if ([Number, Boolean, String].includes(nestedType(cls, property) as never))
          converted.push(`${cls.name}.${property}`);
    }
    expect(converted).toEqual([]);
  });
});
