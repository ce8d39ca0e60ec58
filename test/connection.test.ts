/** Connection options built from the temporal section of the config: TLS, mTLS files and API keys. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { connectionOptions } from '../client/connection.js';
import { loadConfig } from '../shared/config.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-connection-'));
  await writeFile(path.join(dir, 'client.pem'), 'CERT');
  await writeFile(path.join(dir, 'client.key'), 'KEY');
  await writeFile(path.join(dir, 'ca.pem'), 'CA');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a config whose temporal section is `temporal` and loads it, so relative paths resolve against `dir`. */
async function configWith(temporal: Record<string, unknown>) {
  const file = path.join(dir, 'deployer.config.json');
  await writeFile(
    file,
    JSON.stringify({
      temporal: { address: 'temporal.example:7233', ...temporal },
      stateDir: 'state',
      forge: { kind: 'gitea', baseUrl: 'http://127.0.0.1:9' },
      hosts: { local: { transport: 'local', stateDir: 'host' } },
      projects: {},
    }),
  );
  return loadConfig(file);
}

test('connection options per TLS setting', async () => {
  process.env.DEPLOYER_TEST_TEMPORAL_KEY = 'key-123';
  const cases = [
    { name: 'plain', temporal: {}, tls: undefined, apiKey: undefined },
    { name: 'tls flag', temporal: { tls: true }, tls: true, apiKey: undefined },
    { name: 'api key implies tls', temporal: { apiKeyEnv: 'DEPLOYER_TEST_TEMPORAL_KEY' }, tls: true, apiKey: 'key-123' },
    {
      name: 'mtls files',
      temporal: { tlsCertFile: 'client.pem', tlsKeyFile: 'client.key', tlsServerCaFile: 'ca.pem', tlsServerName: 'frontend' },
      tls: {
        clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
        serverRootCACertificate: Buffer.from('CA'),
        serverNameOverride: 'frontend',
      },
      apiKey: undefined,
    },
  ];
  for (const { name, temporal, tls, apiKey } of cases) {
    const options = connectionOptions(await configWith(temporal));
    assert.deepEqual(options.tls, tls, name);
    assert.equal(options.apiKey, apiKey, name);
  }
});

test('certificate without key is invalid', async () => {
  await assert.rejects(configWith({ tlsCertFile: 'client.pem' }), /tlsKeyFile: .*expected tlsCertFile and tlsKeyFile together/);
});

test('missing certificate file names key', async () => {
  const config = await configWith({ tlsCertFile: 'absent.pem', tlsKeyFile: 'client.key' });
  assert.throws(() => connectionOptions(config), /temporal\.tlsCertFile: cannot read .*absent\.pem: ENOENT/);
});
