import { has, t } from '../i18n.ts';

/**
 * An API error as a person reads it: the catalogue's words for its code (`errors:<code>`), then the
 * server's message as detail; the message alone when the code is unknown or absent.
 */

export function problemText(code: unknown, message: string): string {
  const key = typeof code === 'string' ? `errors:${code}` : '';
  if (!key || !has(key)) return message;
  const words = t(key);
  return message && message !== words ? `${words} (${message})` : words;
}

/** A thrown error (an `ApiError` carrying `code`, a network failure …) in the reader's words. */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (err instanceof TypeError) return problemText('network', message);
  return problemText(e.code, message);
}

/** The `{error: {code, message}}` body of a failed response in the reader's words. */
export async function responseProblem(res: Response): Promise<string> {
  const b = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (b.error) return problemText(b.error.code, b.error.message ?? '');
  return t('errors:http', { status: res.status });
}
