/** The URL of the application database (embedded or external), resolved before the app module is built. */
export const DATABASE_URL = Symbol('DATABASE_URL');
