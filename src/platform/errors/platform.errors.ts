import { defineErrors } from './catalogue.js';
import type { DomainError } from './domain-error.js';

/** What a client is told to wait before trying again while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

type FieldErrors = { field: string; messages: string[] }[];

/**
 * The codes of the platform: the request gate and the guard (credentials, partner kinds, rates), the body reader
 * and the validation pipe, Fastify's and Nest's own refusals (through the tables below), the database and the
 * unexpected.
 */
export const PlatformErrors = defineErrors('platform', {
  AUTH_REQUIRED: {
    status: 401,
    description: 'No API key was sent; send `Authorization: Bearer <key>`.',
    message: 'This endpoint needs an API key: Authorization: Bearer <key>',
  },
  AUTH_INVALID: {
    status: 401,
    description:
      'The API key is unknown, malformed, revoked or sent twice; send the one key you were given, or ask an operator for a new one.',
    message:
      'The API key is unknown, malformed, revoked or sent twice: send one Authorization: Bearer <key> header with the key you were given, or ask an operator for a new key',
  },
  CONSOLE_SIGNIN_REQUIRED: {
    status: 403,
    description:
      'A console form was posted without a valid console session (none, expired or signed out): sign in again at /console/connexion.',
    message: 'Votre session a expiré ou vous êtes déconnecté : reconnectez-vous.',
  },
  CONSOLE_ROLE_FORBIDDEN: {
    status: 403,
    description: "The console page is not open to the agent's kind of partner (operator or fund).",
    message: "Cette page n'est pas ouverte à votre organisation.",
  },
  CONSOLE_CSRF_INVALID: {
    status: 403,
    description:
      'A console form was posted without the anti-forgery token of the session (or with another one): reload the page and send the form again.',
    message: 'Le formulaire a expiré ou ne vient pas de la console : rechargez la page et renvoyez-le.',
  },
  CONSOLE_FORM_INVALID: {
    status: 400,
    description:
      "A console form body (or a console page's query string) is not a well-formed application/x-www-form-urlencoded form of printable text with only the form's own fields, each sent once; reload the page and send its form again.",
    message: "Le formulaire envoyé n'est pas valide : rechargez la page et renvoyez-le.",
  },
  PARTNER_KIND_FORBIDDEN: {
    status: 403,
    description: "The endpoint is not open to the caller's kind of partner; the API description says who may call it.",
    message: (kind: string) => `This endpoint is not open to ${kind} partners`,
  },
  FUND_ONLY: {
    status: 403,
    description: "Only a fund, acting for its own organisme, does this; call it with the fund's key.",
    message: 'Only a fund acting for its organisme may do this',
  },
  RATE_LIMITED: {
    status: 429,
    description:
      'Too many requests for this credential (or, on the photo upload link, from this address); wait `Retry-After` seconds.',
    message: (by: 'credential' | 'address', retryAfterSeconds: number) => ({
      message:
        by === 'credential'
          ? 'Too many requests for this credential; retry later'
          : 'Too many uploads from this address; retry later',
      details: { retryAfterSeconds },
    }),
  },
  VALIDATION_FAILED: {
    status: 400,
    description: 'A field is missing or does not follow its rule; `errors` names each field and what it needs.',
    message: (errors: FieldErrors, errorCount?: number) => ({
      message: 'The request is invalid; see errors',
      details: { errors, ...(errorCount !== undefined ? { errorCount } : {}) },
    }),
  },
  MALFORMED_BODY: {
    status: 400,
    description:
      'The body is not valid JSON (or is empty, or shorter than its Content-Length); send one JSON value in UTF-8.',
    message: (why: 'json' | 'empty' | 'length') =>
      why === 'json'
        ? 'The body is not valid JSON (RFC 8259); send one JSON value encoded in UTF-8'
        : why === 'empty'
          ? 'The body is empty; send a JSON object'
          : 'The body is not as long as its Content-Length says',
  },
  JSON_TOO_DEEP: {
    status: 400,
    description: 'Objects and arrays of the body nest more than 32 levels (`maxDepth`); no request needs more.',
    message: (maxDepth: number) => ({
      message: `The body nests objects and arrays more than ${maxDepth} levels deep; no request of this API needs more`,
      details: { maxDepth },
    }),
  },
  JSON_DUPLICATE_KEY: {
    status: 400,
    description: 'An object of the body names the same key twice; send each key once.',
    message: 'An object of the body names the same key twice; send each key once',
  },
  JSON_FORBIDDEN_KEY: {
    status: 400,
    description: 'The body uses a `__proto__`, `constructor` or `prototype` key; no field has that name.',
    message: 'The body uses a reserved key (__proto__, constructor or prototype); no field of this API has that name',
  },
  TEXT_NOT_PRINTABLE: {
    status: 400,
    description:
      'Text in the body holds NUL, another control character, a zero-width or bidirectional-override character; send printable text.',
    message:
      'Text in the body must hold printable characters only: no NUL or other control character, zero-width or bidirectional-override character',
  },
  BODY_NOT_ACCEPTED: {
    status: 400,
    description: 'A body (other than `{}`) was sent to an endpoint that reads none; send none.',
    message: 'This endpoint takes no body; send none (or an empty JSON object)',
  },
  QUERY_NOT_ACCEPTED: {
    status: 400,
    description: 'A query string was sent to an endpoint that reads none; remove it.',
    message: 'This endpoint takes no query parameters; remove the query string',
  },
  QUERY_RESERVED_KEY: {
    status: 400,
    description: 'A query parameter is named `__proto__`, `constructor` or `prototype`; no parameter has that name.',
    message:
      'The query string uses a reserved name (__proto__, constructor or prototype); no parameter of this API has that name',
  },
  PATH_PARAMETER_INVALID: {
    status: 400,
    description: 'A path parameter holds a character that is not printable (`parameter` names it); check the URL.',
    message: (parameter: string) => ({
      message: `The path parameter ${parameter} must hold printable characters only`,
      details: { parameter },
    }),
  },
  URL_INVALID: {
    status: 400,
    description: 'The URL holds a bad percent-encoding; encode it again.',
    message: 'The URL holds an invalid percent-encoding',
  },
  INVALID_INPUT: {
    status: 400,
    description:
      'A value the database refuses as data (out of range, not storable); check numbers, dates and text against the API description.',
    message:
      'A value of the request is out of range or holds characters that cannot be stored; check numbers, dates and text against the API description',
  },
  CURSOR_INVALID: {
    status: 400,
    description: 'The paging cursor (`after`) is not one this list gave; pass back the `next` of a previous page.',
    message: 'The cursor is not one this API gave; pass back the `next` of a previous page',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    description:
      "The body is over the endpoint's limit (`maxBytes`: 1 MiB, or BULK_IMPORT_MAX_BYTES for file uploads); send less.",
    message: (maxBytes?: number) =>
      maxBytes === undefined
        ? 'The body is larger than this endpoint accepts'
        : { message: `The body is larger than the ${maxBytes} bytes this endpoint accepts`, details: { maxBytes } },
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    description:
      'The Range asked for lies outside the file (`Content-Range` gives its size); ask for a range within it, or the whole file.',
    message: (bytes: number) => `The file has ${bytes} bytes`,
  },
  URI_TOO_LONG: {
    status: 414,
    description: 'A path parameter is over 100 characters; no identifier of this API is that long.',
    message: 'A path parameter is longer than 100 characters; no identifier of this API is that long',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description:
      'The body has no media type, or one the endpoint does not take (`accepted` lists those it does); set Content-Type.',
    message: (accepted: string[] | null, takesBody = true) =>
      accepted === null
        ? 'This endpoint does not accept a body of that media type'
        : {
            message: takesBody
              ? `Send the body as ${accepted.join(' or ')} (Content-Type header)`
              : 'This endpoint takes no body (an empty application/json object is accepted)',
            details: { accepted },
          },
  },
  SSH_KEY_INVALID: {
    status: 422,
    description:
      "The SSH public key is not one OpenSSH line of an accepted type (ssh-ed25519, ecdsa, rsa); send the `.pub` file's line.",
    message: (why: 'format' | 'unreadable' | { type: string; accepted: string[] }) =>
      why === 'format'
        ? 'Expected one OpenSSH public key line: "<type> <base64> [comment]"'
        : why === 'unreadable'
          ? 'Not a readable OpenSSH public key'
          : `Key type ${why.type} is not accepted (${why.accepted.join(', ')})`,
  },
  SSH_KEY_TOO_WEAK: {
    status: 422,
    description: 'An RSA key shorter than 2048 bits; make a longer one, or an ed25519 key.',
    message: (minBits: number, bits: number) => ({
      message: `RSA keys need at least ${minBits} bits`,
      details: { bits },
    }),
  },
  SSH_KEY_EXISTS: {
    status: 409,
    description: 'This SSH key is already registered (`fingerprint`); each key is registered once.',
    message: (fingerprint: string) => ({ message: 'This key is already registered', details: { fingerprint } }),
  },
  NOT_FOUND: {
    status: 404,
    description:
      "No route or resource at this URL; check the path against the API description (under /console: the console's HTML page-not-found page).",
    message: 'No such resource: check the method and the path against the API description (/docs).',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: 'The path exists but not with this method.',
    message: (detail: string) => detail,
  },
  NOT_ACCEPTABLE: {
    status: 406,
    description: 'The Accept header names no type the endpoint answers with.',
    message: (detail: string) => detail,
  },
  HTTP_REQUEST_MALFORMED: {
    status: 400,
    description:
      'The request could not be read as HTTP/1.1 (its request line, a header, Content-Length or Transfer-Encoding); the connection is closed. Fix the client.',
    message:
      'The request could not be read as HTTP/1.1 (request line, headers, Content-Length or Transfer-Encoding): fix the client; the connection is closed',
  },
  REQUEST_HEADERS_TOO_LARGE: {
    status: 431,
    description: 'The request headers are over 16 KiB; send fewer or shorter headers.',
    message: 'The request headers are over 16 KiB: send fewer or shorter headers',
  },
  BAD_REQUEST: {
    status: 400,
    description:
      'Refused by the framework before the endpoint ran: a path parameter that is not a UUID or a number where one is expected; check the URL.',
    message: (detail: string) => detail,
  },
  FORBIDDEN: {
    status: 403,
    description: 'Refused by the framework before any endpoint ran.',
    message: (detail: string) => detail,
  },
  CONFLICT: {
    status: 409,
    description: "Refused by the framework as conflicting with the resource's state.",
    message: (detail: string) => detail,
  },
  UNPROCESSABLE: {
    status: 422,
    description: 'Refused by the framework as not processable.',
    message: (detail: string) => detail,
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    description: 'The database cannot be reached for the moment; retry after `Retry-After` seconds (transient).',
    message: () => ({
      message: `The database cannot be reached for the moment; retry after ${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
      details: { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    }),
  },
  INTERNAL_ERROR: {
    status: 500,
    description: 'An unexpected error; nothing is leaked, quote the `requestId` to the operators.',
    message: 'An unexpected error occurred; quote the request id to the operators.',
  },
  UNDECLARED_PROBLEM_CODE: {
    status: 500,
    description:
      'Tests only (VITALE_CHECK_PROBLEM_CODES): the endpoint answered a code its @Answers does not list; declare it.',
    message: (route: string, code: string) =>
      `${route} answered ${code}, which it does not declare (@Answers); declare it or do not answer it`,
  },
});

/** Nest's HTTP exceptions (its own refusals: unknown route, pipes) by status, for those that carry no code of ours. */
export const HTTP_STATUS_ERRORS: Record<number, (detail: string) => DomainError> = {
  400: PlatformErrors.BAD_REQUEST,
  401: () => PlatformErrors.AUTH_REQUIRED(),
  403: PlatformErrors.FORBIDDEN,
  404: () => PlatformErrors.NOT_FOUND(),
  405: PlatformErrors.METHOD_NOT_ALLOWED,
  406: PlatformErrors.NOT_ACCEPTABLE,
  409: PlatformErrors.CONFLICT,
  413: () => PlatformErrors.PAYLOAD_TOO_LARGE(),
  414: () => PlatformErrors.URI_TOO_LONG(),
  415: () => PlatformErrors.UNSUPPORTED_MEDIA_TYPE(null),
  422: PlatformErrors.UNPROCESSABLE,
};

/**
 * Fastify's own errors (URL, body reading) as our codes with fixed messages: fastify's messages quote the URL or
 * the Content-Type header, which are the caller's input.
 */
export const FASTIFY_ERRORS: Record<string, () => DomainError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => PlatformErrors.PAYLOAD_TOO_LARGE(),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => PlatformErrors.UNSUPPORTED_MEDIA_TYPE(null),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => PlatformErrors.MALFORMED_BODY('empty'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => PlatformErrors.MALFORMED_BODY('length'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => PlatformErrors.MALFORMED_BODY('json'),
  FST_ERR_BAD_URL: () => PlatformErrors.URL_INVALID(),
  FST_ERR_MAX_PARAM_LENGTH: () => PlatformErrors.URI_TOO_LONG(),
};
