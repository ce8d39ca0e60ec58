/**
 * Patterns and limits shared by the zod schemas and by workflow code. This file imports nothing, so
 * workflow code can use it without pulling zod into the workflow bundle.
 */

/** Person or service identity: a login name or an email address, at most 64 characters. */
export const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

/** Maximum length of an approval comment or a rejection reason. */
export const MAX_DECISION_TEXT = 2000;
