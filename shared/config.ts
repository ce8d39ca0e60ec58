import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { identitySchema, projectIdSchema } from './ids.js';
import { parseOrThrow, ValidationError } from './input.js';

const envNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as GITEA_TOKEN');
const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http or https URL' });
const argvSchema = z.array(z.string().min(1)).min(1, 'expected a non-empty argv array');
const secondsSchema = (max: number) => z.number().positive('expected a positive number of seconds').max(max);

/** Connection to the Temporal service. TLS and API keys come from the environment. */
const temporalSchema = z
  .object({
    address: z.string().min(1, 'expected host:port such as 127.0.0.1:7233').default('127.0.0.1:7233'),
    namespace: z.string().min(1, 'expected a namespace name such as default').default('default'),
    taskQueue: z.string().min(1, 'expected a task queue name such as deployer').default('deployer'),
    uiUrl: httpUrlSchema.default('http://127.0.0.1:8233'),
    apiKeyEnv: envNameSchema.optional(),
    tls: z.boolean().default(false),
    /** mTLS client certificate and key (PEM files); setting them turns TLS on. */
    tlsCertFile: z.string().min(1).optional(),
    tlsKeyFile: z.string().min(1).optional(),
    /** CA certificate (PEM file) of a server whose certificate the system does not trust. */
    tlsServerCaFile: z.string().min(1).optional(),
    /** TLS server name (SNI) when it differs from the host in `address`. */
    tlsServerName: z.string().min(1).optional(),
    /** `host:port` where the worker serves Prometheus metrics at /metrics; unset serves none. */
    metricsAddress: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'expected host:port such as 127.0.0.1:9464')
      .optional(),
  })
  .strict()
  .refine((temporal) => (temporal.tlsCertFile === undefined) === (temporal.tlsKeyFile === undefined), {
    path: ['tlsKeyFile'],
    message: 'expected tlsCertFile and tlsKeyFile together, or neither',
  });

const forgeSchema = z
  .object({
    kind: z.literal('gitea'),
    baseUrl: httpUrlSchema,
    tokenEnv: envNameSchema.default('GITEA_TOKEN'),
    requestTimeoutSeconds: secondsSchema(300).default(15),
  })
  .strict();

const trackerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      kind: z.literal('plane'),
      baseUrl: httpUrlSchema,
      workspace: z.string().regex(/^[a-z0-9-]{1,64}$/, 'expected a workspace slug'),
      apiKeyEnv: envNameSchema.default('PLANE_API_KEY'),
      requestTimeoutSeconds: secondsSchema(300).default(15),
      states: z
        .object({
          approvalPending: z.string().default('Approval Pending'),
          approved: z.string().default('Approved'),
          done: z.string().default('Done'),
          development: z.string().default('In Development'),
        })
        .strict()
        .default({ approvalPending: 'Approval Pending', approved: 'Approved', done: 'Done', development: 'In Development' }),
    })
    .strict(),
]);

/** The Plane webhook endpoint that turns a move to the "Approved" state into an `approve` signal. */
const webhookSchema = z
  .object({
    listen: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'expected host:port such as 127.0.0.1:8787')
      .default('127.0.0.1:8787'),
    secretEnv: envNameSchema.default('PLANE_WEBHOOK_SECRET'),
    maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
    projects: z
      .record(z.string().regex(/^[A-Z][A-Z0-9]{0,15}$/, 'expected a Plane project identifier such as ORCH'), projectIdSchema)
      .default({}),
    actors: z.record(z.string().min(1).max(254), identitySchema).default({}),
  })
  .strict();

const localHostSchema = z
  .object({
    transport: z.literal('local'),
    stateDir: z.string().min(1),
    launcherPath: z.string().optional(),
  })
  .strict();

const sshHostSchema = z
  .object({
    transport: z.literal('ssh'),
    host: z.string().regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or IP address'),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'expected a Unix user name'),
    identityFile: z.string().min(1),
    knownHostsFile: z.string().min(1),
    strictHostKeyChecking: z.boolean().default(true),
    connectTimeoutSeconds: secondsSchema(120).default(10),
    stateDir: z.string().min(1),
    launcherPath: z.string().min(1),
  })
  .strict();

const hostSchema = z.discriminatedUnion('transport', [localHostSchema, sshHostSchema]);

const projectSchema = z
  .object({
    selfHosting: z.boolean().default(false),
    repository: z
      .object({
        owner: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a forge owner name'),
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'expected a forge repository name'),
        cloneUrl: z.string().min(1),
        mainBranch: z.string().default('main'),
      })
      .strict(),
    trackerProjectId: z.string().optional(),
    staging: z
      .object({
        baseUrl: httpUrlSchema,
        command: argvSchema,
        timeoutSeconds: secondsSchema(6 * 3600).default(900),
      })
      .strict(),
    deploy: z
      .object({
        host: z.string().min(1),
        hook: argvSchema,
        env: z.record(envNameSchema, z.string()).default({}),
        environment: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/).default('production'),
        hookTimeoutSeconds: secondsSchema(24 * 3600).default(1800),
        pollIntervalSeconds: secondsSchema(600).default(2),
      })
      .strict(),
    approvers: z.array(identitySchema).default([]),
    approvalTimeoutHours: z.number().positive().max(24 * 30).default(72),
  })
  .strict();

/** The deployer configuration file. */
export const configSchema = z
  .object({
    temporal: temporalSchema.default({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'deployer',
      uiUrl: 'http://127.0.0.1:8233',
      tls: false,
    }),
    stateDir: z.string().min(1),
    forge: forgeSchema,
    tracker: trackerSchema.default({ kind: 'none' }),
    hosts: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a lowercase host name'), hostSchema),
    projects: z.record(projectIdSchema, projectSchema),
    webhook: webhookSchema.optional(),
  })
  .strict()
  .superRefine(checkWebhook)
  .superRefine((config, ctx) => {
    for (const [projectId, project] of Object.entries(config.projects)) {
      if (!(project.deploy.host in config.hosts)) {
        ctx.addIssue({
          code: 'custom',
          path: ['projects', projectId, 'deploy', 'host'],
          message: `expected one of the hosts defined under "hosts" (${Object.keys(config.hosts).join(', ') || 'none'})`,
        });
      }
      if (project.selfHosting && project.approvers.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['projects', projectId, 'approvers'],
          message: 'expected at least one approver for a self-hosting project',
        });
      }
    }
  });

/** The webhook needs Plane as the tracker, and each Plane project it maps must be a configured project. */
function checkWebhook(
  config: { tracker: { kind: string }; projects: Record<string, unknown>; webhook?: { projects: Record<string, string> } },
  ctx: z.RefinementCtx,
): void {
  if (!config.webhook) return;
  if (config.tracker.kind !== 'plane') {
    ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'expected tracker.kind "plane" when a webhook is configured' });
  }
  for (const [identifier, projectId] of Object.entries(config.webhook.projects)) {
    if (!Object.hasOwn(config.projects, projectId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhook', 'projects', identifier],
        message: `expected one of the projects defined under "projects" (${Object.keys(config.projects).join(', ') || 'none'})`,
      });
    }
  }
}

export type Config = z.infer<typeof configSchema>;
export type WebhookConfig = NonNullable<Config['webhook']>;
export type ProjectConfig = Config['projects'][string];
export type HostConfig = Config['hosts'][string];
export type TrackerConfig = Config['tracker'];
export type ForgeConfig = Config['forge'];

/** Reads and validates a config file. Relative paths inside it resolve against the file's folder. */
export function loadConfig(file: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ValidationError(`invalid config ${file}: ${(error as Error).message}`);
  }
  const config = parseOrThrow(configSchema, raw, `config ${file}`);
  return resolvePaths(config, path.dirname(path.resolve(file)));
}

function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string) => path.resolve(baseDir, p);
  config.stateDir = at(config.stateDir);
  for (const key of ['tlsCertFile', 'tlsKeyFile', 'tlsServerCaFile'] as const) {
    const file = config.temporal[key];
    if (file !== undefined) config.temporal[key] = at(file);
  }
  for (const host of Object.values(config.hosts)) {
    if (host.transport === 'local') {
      host.stateDir = at(host.stateDir);
      if (host.launcherPath) host.launcherPath = at(host.launcherPath);
    } else {
      host.identityFile = at(host.identityFile);
      host.knownHostsFile = at(host.knownHostsFile);
    }
  }
  return config;
}

/** Reads a secret from the environment variable that the config names (default process.env); throws when it is unset. */
export function readSecret(envName: string, purpose: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[envName];
  if (value === undefined || value === '') {
    throw new ValidationError(`missing secret: environment variable ${envName} (${purpose}) is not set`);
  }
  return value;
}

/** Returns the config path from --config, DEPLOYER_CONFIG or ./deployer.config.json. */
export function defaultConfigPath(): string {
  return process.env.DEPLOYER_CONFIG ?? path.resolve('deployer.config.json');
}
