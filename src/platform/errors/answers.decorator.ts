import { SetMetadata } from '@nestjs/common';
import type { ErrorSpec } from './catalogue.js';

export const ANSWERS = 'errors:answers';

/**
 * The catalogued errors a route (or every route of a controller) answers, beside those its policy brings (credentials,
 * kinds, rate, input checks: see `automaticAnswers`). They become the route's error responses in the API description,
 * and in tests (VITALE_CHECK_PROBLEM_CODES) a code answered but not declared fails the request.
 */
export const Answers = (...errors: ErrorSpec[]) => SetMetadata(ANSWERS, errors);
