import type { Config } from '../shared/config.js';

/** Dependencies handed to every activity factory, so tests pass real or stand-in services. */
export interface ActivityDeps {
  config: Config;
  /** Environment to read secrets from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}
