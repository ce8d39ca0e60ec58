/**
 * A real OpenSSH server on 127.0.0.1 for tests: `/usr/sbin/sshd -D -e` with a host key, a client
 * key, authorized_keys and known_hosts generated per run in a temp folder. It accepts only the
 * generated client key, for the user who runs the tests.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './host-fixture.js';

const SSHD_PATH = '/usr/sbin/sshd';
/** Privilege separation folder that Debian's sshd expects to exist. */
const PRIVSEP_DIR = '/run/sshd';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** A running sshd and the client settings that reach it. */
export interface Sshd {
  dir: string;
  host: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
  /** File that collects sshd's log output across restarts. */
  logFile: string;
  /** Stops the listening sshd. Sessions already open keep running until they end. */
  stop(): Promise<void>;
  /** Starts sshd again on the same port with the same keys. */
  start(): Promise<void>;
  /** Stops sshd and removes the temp folder. */
  close(): Promise<void>;
}

/** Generates keys and a config in a new temp folder and starts sshd on a free port. */
export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deployer-sshd-'));
  const user = os.userInfo().username;
  const port = await freePort();
  const hostKey = path.join(dir, 'host_ed25519');
  const identityFile = path.join(dir, 'client_ed25519');
  const knownHostsFile = path.join(dir, 'known_hosts');
  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');

  await generateKey(hostKey, 'deployer-test-host');
  await generateKey(identityFile, 'deployer-test-client');
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${identityFile}.pub`, 'utf8'), { mode: 0o600 });
  const [keyType, keyData] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ');
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${keyType} ${keyData}\n`);
  await writeFile(configFile, sshdConfig({ dir, port, hostKey, user }));
  await mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  let server: { process: ResultPromise } | undefined;
  const sshd: Sshd = {
    dir,
    host: '127.0.0.1',
    port,
    user,
    identityFile,
    knownHostsFile,
    logFile,
    async start() {
      if (server) throw new Error(`sshd on port ${port} is already running; stop it before starting it again`);
      server = await launchSshd({ configFile, logFile, port });
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running) return;
      running.process.kill('SIGTERM');
      await Promise.race([running.process, delay(STOP_TIMEOUT_MS)]);
      if (running.process.exitCode === null) running.process.kill('SIGKILL');
      await running.process;
    },
    async close() {
      await sshd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await sshd.start();
  return sshd;
}

async function generateKey(file: string, comment: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    stdin: 'ignore',
    timeout: 10_000,
  });
}

/**
 * StrictModes is off because the keys live in a temp folder that sshd would otherwise check for
 * owner and mode. PAM is off, so pam_env adds nothing to the remote command's environment.
 */
function sshdConfig({ dir, port, hostKey, user }: { dir: string; port: number; hostKey: string; user: string }): string {
  return `${[
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    `AllowUsers ${user}`,
    `PermitRootLogin prohibit-password`,
    `PubkeyAuthentication yes`,
    `PasswordAuthentication no`,
    `KbdInteractiveAuthentication no`,
    `StrictModes no`,
    `UsePAM no`,
    `PermitUserEnvironment no`,
    `AllowTcpForwarding no`,
    `AllowAgentForwarding no`,
    `X11Forwarding no`,
    `PrintMotd no`,
    `MaxStartups 50:30:100`,
    `MaxSessions 50`,
    `LogLevel VERBOSE`,
  ].join('\n')}\n`;
}

/**
 * Starts sshd in the foreground and waits until its log reports that it listens on the port. The process is
 * wrapped in an object because execa's subprocess is a promise, which `await` would wait on.
 */
async function launchSshd({
  configFile,
  logFile,
  port,
}: {
  configFile: string;
  logFile: string;
  port: number;
}): Promise<{ process: ResultPromise }> {
  const logStart = await readFile(logFile, 'utf8').then(
    (text) => text.length,
    () => 0,
  );
  const server = execa(SSHD_PATH, ['-D', '-e', '-f', configFile], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: logFile, append: true },
    reject: false,
  });
  const listening = `Server listening on 127.0.0.1 port ${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const log = (await readFile(logFile, 'utf8').catch(() => '')).slice(logStart);
    if (log.includes(listening)) return { process: server };
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill('SIGKILL');
      await server;
      const tail = log.trim().split('\n').slice(-5).join(' | ');
      throw new Error(`sshd did not start listening on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms: ${tail}`);
    }
    await delay(50);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
