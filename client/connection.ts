import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../shared/config.js';
import { readSecret } from '../shared/config.js';
import { ValidationError } from '../shared/input.js';

/** Options shared by the client's Connection and the worker's NativeConnection. */
export interface ConnectionOptions {
  address: string;
  tls?: boolean | TLSConfig;
  apiKey?: string;
}

/**
 * Connection options for the Temporal service: the address from the config, TLS when `tls` is set,
 * mTLS when a client certificate and key are configured, and an API key (which implies TLS) read
 * from the environment variable that `apiKeyEnv` names.
 */
export function connectionOptions(config: Config): ConnectionOptions {
  const { temporal } = config;
  const options: ConnectionOptions = { address: temporal.address };
  const tls = tlsConfig(config);
  if (tls !== undefined) options.tls = tls;
  else if (temporal.tls) options.tls = true;
  if (temporal.apiKeyEnv) {
    options.apiKey = readSecret(temporal.apiKeyEnv, 'Temporal API key');
    options.tls ??= true;
  }
  return options;
}

/** Reads the configured certificate files; returns undefined when none is configured. */
function tlsConfig(config: Config): TLSConfig | undefined {
  const { tlsCertFile, tlsKeyFile, tlsServerCaFile, tlsServerName } = config.temporal;
  if (tlsCertFile === undefined && tlsServerCaFile === undefined && tlsServerName === undefined) return undefined;
  const tls: TLSConfig = {};
  if (tlsServerName !== undefined) tls.serverNameOverride = tlsServerName;
  if (tlsServerCaFile !== undefined) tls.serverRootCACertificate = readPem(tlsServerCaFile, 'temporal.tlsServerCaFile');
  if (tlsCertFile !== undefined && tlsKeyFile !== undefined) {
    tls.clientCertPair = { crt: readPem(tlsCertFile, 'temporal.tlsCertFile'), key: readPem(tlsKeyFile, 'temporal.tlsKeyFile') };
  }
  return tls;
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ValidationError(`${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; expected a PEM file`);
  }
}
