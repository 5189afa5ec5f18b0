import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Values<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];

/**
 * A command's options, strictly parsed (`--help` is understood): the values, or the exit code when the command is to
 * stop here — 0 after printing the usage for --help, 2 after printing what is wrong and the usage.
 */
export function cliOptions<O extends ParseArgsOptionsConfig>(options: O, usage: string): Values<O> | 0 | 2 {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  try {
    return parseArgs({ options, strict: true }).values as Values<O>;
  } catch (e) {
    return usageError((e as Error).message, usage);
  }
}

/** Prints what is wrong with the command line and the usage; the exit code of a usage error. */
export function usageError(message: string, usage: string): 2 {
  process.stderr.write(`${message}\n${usage}\n`);
  return 2;
}
