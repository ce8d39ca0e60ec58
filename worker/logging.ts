import { createWriteStream } from 'node:fs';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Builds the SDK logger of a worker process: one JSON object per line, to a file when one is given,
 * else to stderr. The level comes from the argument, then DEPLOYER_LOG_LEVEL, then INFO.
 */
export function createJsonLogger(options: { level?: string; file?: string } = {}): DefaultLogger {
  const requested = (options.level ?? process.env.DEPLOYER_LOG_LEVEL ?? 'INFO').toUpperCase();
  if (!LEVELS.includes(requested as LogLevel)) {
    throw new Error(`DEPLOYER_LOG_LEVEL ${JSON.stringify(requested)} is invalid: expected one of ${LEVELS.join(', ')}`);
  }
  const stream = options.file ? createWriteStream(options.file, { flags: 'a' }) : undefined;
  return new DefaultLogger(requested as LogLevel, (entry) => {
    const line = `${JSON.stringify(toRecord(entry), replaceErrors)}\n`;
    if (stream) stream.write(line);
    else process.stderr.write(line);
  });
}

function toRecord(entry: LogEntry): Record<string, unknown> {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return { time, level: entry.level, message: entry.message, ...entry.meta };
}

/** Errors have no enumerable fields, so JSON.stringify would print `{}` for them. */
function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const typed = value as Error & { type?: string; cause?: unknown };
    return { name: value.name, message: value.message, type: typed.type, cause: typed.cause };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
