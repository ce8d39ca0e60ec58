import matter from 'gray-matter';
import { z } from 'zod';
import { shorten } from '../shared/ids.js';

/** File name and status field of each verdict kind. */
export const VERDICT_FILES = {
  staging: { fileName: '15-staging-log.md', statusField: 'staging_status' },
  deploy: { fileName: '14-deploy-log.md', statusField: 'deploy_status' },
} as const;

export type VerdictFileKind = keyof typeof VERDICT_FILES;

/** Result of a gate: SUCCESS only when the frontmatter is complete and exact. */
export type GateResult =
  | { ok: true; status: 'SUCCESS' | 'FAILED'; fields: Record<string, unknown> }
  | { ok: false; status: 'INVALID'; problems: string[] };

/**
 * Alias references such as `*name`. A few nested aliases expand to millions of values (a YAML alias
 * bomb). renderVerdict writes flat fields without aliases, so a frontmatter with many is rejected.
 */
const YAML_ALIAS = /(?:^|[\s[{,:-])\*[^\s,[\]{}]+/g;
const MAX_ALIASES = 20;

/** YAML 1.1 timestamp with a time part, the form js-yaml turns into a Date when it is not quoted. */
const YAML_TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.\d*)?(?:[ \t]*(?:Z|[+-]\d{1,2}(?::\d{2})?))?$/;
const ISO_UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Accepts an ISO-8601 time string, or the Date that YAML makes of an unquoted timestamp. */
const timestampSchema = z.union([
  z.date().refine((date) => !Number.isNaN(date.getTime()), 'expected a valid time'),
  z.string().refine(isValidIsoTimestamp, 'expected an ISO-8601 time such as "2026-12-04T15:18:40.000Z"'),
]);

const statusSchema = z.enum(['SUCCESS', 'FAILED'], { error: 'expected exactly SUCCESS or FAILED (uppercase)' });

const stagingFieldsSchema = z
  .object({
    staging_status: statusSchema,
    timestamp: timestampSchema,
    base_url: z.string().min(1, 'expected the staging base URL'),
  })
  .passthrough();

const deployFieldsSchema = z.object({ deploy_status: statusSchema, timestamp: timestampSchema }).passthrough();

/** Checks a verdict file's text. Fails closed: anything short of a complete, exact frontmatter is INVALID. */
export function checkVerdict(kind: VerdictFileKind, text: string): GateResult {
  const split = splitFrontmatter(text);
  if (!split.ok) return { ok: false, status: 'INVALID', problems: [split.problem] };

  const aliases = split.block.match(YAML_ALIAS)?.length ?? 0;
  if (aliases > MAX_ALIASES) {
    return { ok: false, status: 'INVALID', problems: [`frontmatter uses ${aliases} YAML aliases: expected at most ${MAX_ALIASES}`] };
  }

  let data: unknown;
  try {
    data = matter(split.block, { excerpt: false }).data;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
    return { ok: false, status: 'INVALID', problems: [`frontmatter is not valid YAML: ${reason}`] };
  }

  const dateProblem = checkUnquotedTimestamp(data, split.block);
  if (dateProblem !== null) return { ok: false, status: 'INVALID', problems: [dateProblem] };

  const schema = kind === 'staging' ? stagingFieldsSchema : deployFieldsSchema;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.') || 'frontmatter';
      const value = (data as Record<string, unknown> | null)?.[String(issue.path[0])];
      return `${field}: ${value === undefined ? 'missing' : shorten(value)} is invalid: ${issue.message}`;
    });
    return { ok: false, status: 'INVALID', problems };
  }
  const fields = parsed.data as Record<string, unknown>;
  const status = fields[VERDICT_FILES[kind].statusField] as 'SUCCESS' | 'FAILED';
  return { ok: true, status, fields };
}

/** Returns true when a verdict passes its gate with SUCCESS. */
export function isSuccess(kind: VerdictFileKind, text: string): boolean {
  const result = checkVerdict(kind, text);
  return result.ok && result.status === 'SUCCESS';
}

/** Infers the verdict kind from a file name, or returns undefined. */
export function kindOfFile(fileName: string): VerdictFileKind | undefined {
  if (fileName.endsWith(VERDICT_FILES.staging.fileName)) return 'staging';
  if (fileName.endsWith(VERDICT_FILES.deploy.fileName)) return 'deploy';
  return undefined;
}

/**
 * Cuts out the frontmatter block between the opening and closing `---` lines. A leading byte order
 * mark and CRLF line endings are tolerated because editors add them; a missing delimiter is not.
 */
function splitFrontmatter(text: string): { ok: true; block: string } | { ok: false; problem: string } {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const lines = normalized.split('\n');
  if (lines[0]?.trimEnd() !== '---') {
    return { ok: false, problem: 'frontmatter is missing: the file must start with a "---" line' };
  }
  const closing = lines.findIndex((line, index) => index > 0 && line.trimEnd() === '---');
  if (closing === -1) {
    return { ok: false, problem: 'frontmatter is not closed: no second "---" line' };
  }
  return { ok: true, block: `${lines.slice(0, closing + 1).join('\n')}\n` };
}

/**
 * Checks the source text of an unquoted timestamp. js-yaml 3 (inside gray-matter 4.0.3) turns `2026-02-30T10:00:00Z` into a Date of
 * March 2 instead of rejecting it, so the calendar fields of the text itself are checked. A date
 * without a time is rejected because the verdict records a time.
 */
function checkUnquotedTimestamp(data: unknown, block: string): string | null {
  if (!(data !== null && typeof data === 'object' && (data as Record<string, unknown>).timestamp instanceof Date)) return null;
  const raw = /^timestamp:[ \t]*(.*?)[ \t]*(?:#.*)?$/m.exec(block)?.[1] ?? '';
  const match = YAML_TIMESTAMP.exec(raw);
  if (match && hasValidCalendarFields(match)) return null;
  return `timestamp: ${shorten(raw)} is invalid: expected a valid date and time such as 2026-12-04T15:18:40Z`;
}

function isValidIsoTimestamp(value: string): boolean {
  const match = ISO_UTC_TIMESTAMP.exec(value);
  return match !== null && hasValidCalendarFields(match);
}

/** Returns true when year, month, day, hour, minute and second (match groups 1 to 6) name a real time. */
function hasValidCalendarFields(match: RegExpExecArray): boolean {
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60
  );
}
