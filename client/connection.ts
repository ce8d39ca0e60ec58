import type { Config } from '../shared/config.js';
import { readSecret } from '../shared/config.js';

/** Connection options for the Temporal service: address from the config, TLS and API key when set. */
export function connectionOptions(config: Config): { address: string; tls?: boolean; apiKey?: string } {
  const { temporal } = config;
  const options: { address: string; tls?: boolean; apiKey?: string } = { address: temporal.address };
  if (temporal.tls) options.tls = true;
  if (temporal.apiKeyEnv) {
    options.apiKey = readSecret(temporal.apiKeyEnv, 'Temporal API key');
    options.tls = true;
  }
  return options;
}
