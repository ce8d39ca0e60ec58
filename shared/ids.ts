import { z } from 'zod';
import { IDENTITY_PATTERN } from './patterns.js';

/** Shortens a value for an error message so that hostile or huge input stays readable. */
export function shorten(value: unknown, max = 60): string {
  const parts: string[] = [];
  appendJson(value, { parts, length: 0, limit: max + 1 });
  const text = parts.join('');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Appends the JSON text of a value until `limit` characters are written, then stops. A YAML alias
 * bomb or a huge payload nests millions of values, and JSON.stringify would walk all of them.
 */
function appendJson(value: unknown, out: { parts: string[]; length: number; limit: number }): void {
  if (out.length >= out.limit) return;
  const push = (text: string) => {
    out.parts.push(text);
    out.length += text.length;
  };
  if (Array.isArray(value)) {
    push('[');
    for (let index = 0; index < value.length && out.length < out.limit; index++) {
      if (index > 0) push(',');
      appendJson(value[index], out);
    }
    push(']');
    return;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    push('{');
    let first = true;
    for (const key in value) {
      if (out.length >= out.limit) break;
      push(`${first ? '' : ','}${JSON.stringify(key.slice(0, out.limit))}:`);
      first = false;
      appendJson((value as Record<string, unknown>)[key], out);
    }
    push('}');
    return;
  }
  push(scalarJson(value, out.limit));
}

function scalarJson(value: unknown, limit: number): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, limit));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Work item id such as `ORCH-65`: an uppercase key, a dash and a number. */
export const workItemIdSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{0,15}-[1-9][0-9]{0,8}$/, 'expected an uppercase key, a dash and a number, e.g. ORCH-65');

/** Project id such as `orchestrator` or `enduro-trails`. */
export const projectIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes, starting with a letter');

/** Git branch name restricted to characters that are safe in paths, refs and commands. */
export const branchSchema = z
  .string()
  .min(1, 'expected a branch name such as feature/ORCH-65')
  .max(200, 'expected at most 200 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'expected letters, digits, ".", "_", "-" and "/", starting with a letter or digit')
  .refine((name) => !name.includes('..') && !name.includes('//'), 'expected no ".." and no "//"')
  .refine((name) => !name.endsWith('/') && !name.endsWith('.lock') && !name.endsWith('.'), 'expected no trailing "/", "." or ".lock"');

/** Container image reference: `[registry[:port]/]path[:tag][@sha256:digest]`. */
export const imageReferenceSchema = z
  .string()
  .max(255, 'expected at most 255 characters')
  .regex(
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    'expected an image reference such as registry.example:5000/orchestrator:1.4.2',
  )
  .refine((ref) => ref.includes(':') || ref.includes('@'), 'expected a tag or digest, e.g. orchestrator:1.4.2');

/** Person or service identity: a login name or an email address. */
export const identitySchema = z
  .string()
  .regex(IDENTITY_PATTERN, 'expected a login such as alice or alice@example.com (letters, digits, . _ @ + -)');
