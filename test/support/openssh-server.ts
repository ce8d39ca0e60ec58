/**
 * A real OpenSSH server on 127.0.0.1 for tests: host and client keys generated per run, one
 * authorized key, listening on a free port. Runs /usr/sbin/sshd in the foreground as the current user.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../../client/dev-server-process.js';

const SSHD = '/usr/sbin/sshd';
const START_TIMEOUT_MS = 20_000;

export interface OpensshServer {
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  /** Stops sshd by its pid and removes the keys. */
  stop(): Promise<void>;
}

/** Starts sshd on a free port of 127.0.0.1 and waits until it accepts TCP connections. */
export async function startOpensshServer(): Promise<OpensshServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-sshd-'));
  const hostKey = path.join(dir, 'host_ed25519');
  const identityFile = path.join(dir, 'client_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { timeout: 10_000 });
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identityFile], { timeout: 10_000 });
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${identityFile}.pub`));

  const port = await freePort();
  const knownHostsFile = path.join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${await readFile(`${hostKey}.pub`, 'utf8')}`);
  const configFile = path.join(dir, 'sshd_config');
  await writeFile(configFile, sshdConfig({ dir, port, hostKey }));

  const sshd: ResultPromise = execa(SSHD, ['-D', '-e', '-f', configFile], { reject: false, stdin: 'ignore' });
  try {
    await waitForPort(port, sshd);
  } catch (error) {
    sshd.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    user: os.userInfo().username,
    identityFile,
    knownHostsFile,
    async stop() {
      sshd.kill('SIGTERM');
      await sshd;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function sshdConfig({ dir, port, hostKey }: { dir: string; port: number; hostKey: string }): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    '',
  ].join('\n');
}

async function waitForPort(port: number, sshd: ResultPromise): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void sshd.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = await (exited ? sshd : Promise.resolve(undefined));
  throw new Error(`sshd did not accept connections on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms: ${result?.stderr ?? 'still running'}`);
}
