import { DomainError } from './domain-error.js';

type Details = Record<string, unknown>;

/** What a factory's arguments make: the message (how to fix it, never the caller's input), and members added to the problem document. */
export type Said = string | { message: string; details?: Details };

/** One error of a module's catalogue, as declared. */
export interface ErrorDeclaration {
  status: number;
  /** One line for docs/errors.md and the API description: when it is answered and what the caller should do. */
  description: string;
  /** The message, or what builds it (and the problem's extra members) from the factory's typed arguments. */
  message: string | ((...args: never[]) => Said);
}

/** What describes a declared error (docs, OpenAPI, the problem filter, @Answers). */
export interface ErrorSpec {
  readonly code: string;
  readonly status: number;
  readonly description: string;
  /** The module whose catalogue declares it (`cards`, `platform`...). */
  readonly module: string;
}

/** A declared error: called, it builds the DomainError. */
export interface ErrorFactory<A extends unknown[] = []> extends ErrorSpec {
  (...args: A): DomainError;
}

type FactoryOf<D> = D extends { message: (...args: infer A) => Said } ? ErrorFactory<A> : ErrorFactory<[]>;

/** A module's catalogue: one factory per code, keyed by the code. */
export type Catalogue<D extends Record<string, ErrorDeclaration>> = { readonly [K in keyof D]: FactoryOf<D[K]> };

/**
 * Declares a module's errors once: each code with its HTTP status, its description and the one factory that builds it.
 * The only place a DomainError is made (a test checks that no other file constructs one).
 */
export function defineErrors<const D extends Record<string, ErrorDeclaration>>(
  module: string,
  declarations: D,
): Catalogue<D> {
  const out: Record<string, ErrorSpec> = {};
  for (const [code, d] of Object.entries(declarations)) {
    const factory = (...args: unknown[]): DomainError => {
      const said = typeof d.message === 'string' ? d.message : (d.message as (...a: unknown[]) => Said)(...args);
      return typeof said === 'string'
        ? new DomainError(code, d.status, said)
        : new DomainError(code, d.status, said.message, said.details);
    };
    out[code] = Object.assign(factory, { code, status: d.status, description: d.description, module });
    Object.defineProperty(out[code], 'name', { value: code });
  }
  return Object.freeze(out) as Catalogue<D>;
}

/** Every factory of a catalogue. */
export const entriesOf = (catalogue: object): ErrorSpec[] => Object.values(catalogue) as ErrorSpec[];
