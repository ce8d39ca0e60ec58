import type { Values } from './args.js';

/** One `deployer` subcommand: its help text and what it runs. `run` resolves to the exit code. */
export interface Command {
  name: string;
  /** One line for the command list of `deployer --help`. */
  summary: string;
  /** Full text of `deployer <name> --help`: usage, options with units and defaults, exit codes. */
  help: string;
  run(values: Values, positionals: string[]): Promise<number>;
}

/** Options that every command accepts, appended to each command's help. */
export const GLOBAL_HELP = `Global options:
  -c, --config FILE   config file (default: $DEPLOYER_CONFIG, else ./deployer.config.json)
  --json              print machine-readable JSON instead of text
  -h, --help          show this help`;
