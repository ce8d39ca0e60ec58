/**
 * Plane's webhook signature: the lowercase hex HMAC-SHA256 of the raw request body, keyed with the
 * webhook's secret, in the `X-Plane-Signature` header (makeplane/plane, bgtasks/webhook_task.py).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;

/** Computes the signature Plane sends for a body. */
export function planeSignature(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Checks a signature header against the raw body in constant time; a malformed header never matches. */
export function verifyPlaneSignature({
  secret,
  body,
  header,
}: {
  secret: string;
  body: Buffer;
  header: string;
}): boolean {
  if (!SIGNATURE_PATTERN.test(header)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}
