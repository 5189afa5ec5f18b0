// The house rules as lint rules (README, "House rules"). Plain JavaScript so ESLint loads it without a build; the
// configuration (eslint.config.js) says where each rule applies.
import noForeignRepository from './rules/no-foreign-repository.js';
import noHttpExceptionInServices from './rules/no-http-exception-in-services.js';
import sqlInRepositories from './rules/sql-in-repositories.js';

export default {
  meta: { name: 'eslint-plugin-house', version: '1.0.0' },
  rules: {
    'sql-in-repositories': sqlInRepositories,
    'no-foreign-repository': noForeignRepository,
    'no-http-exception-in-services': noHttpExceptionInServices,
  },
};
