import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';

/**
 * A static asset as the pages serve it (the browser bundle, the style sheet): compressed once (brotli,
 * gzip) and named by an ETag of its bytes, so a browser that has it revalidates with one small request
 * (`Cache-Control: no-cache`, `If-None-Match` → `304`) and one that has not gets it in the smallest form
 * it accepts.
 */
export interface Asset {
  type: string;
  etag: string;
  plain: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export function asset(type: string, text: string): Asset {
  const plain = Buffer.from(text, 'utf8');
  return {
    type,
    etag: `"${createHash('sha256').update(plain).digest('base64url').slice(0, 27)}"`,
    plain,
    gzip: gzipSync(plain, { level: 9 }),
    br: brotliCompressSync(plain, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: plain.byteLength,
      },
    }),
  };
}

/** The encodings a request accepts (`Accept-Encoding`, a `q=0` refusing one). */
function accepts(req: Request, encoding: string): boolean {
  const header = String(req.headers['accept-encoding'] ?? '');
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().split(';');
    if (name?.trim().toLowerCase() !== encoding) return false;
    return !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p));
  });
}

/** Answer a request for `a`: `304` when the browser's copy is current, else the best encoding. */
export function sendAsset(req: Request, res: Response, a: Asset): void {
  res.type(a.type).set({ 'Cache-Control': 'no-cache', ETag: a.etag, Vary: 'Accept-Encoding' });
  const tags = String(req.headers['if-none-match'] ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^W\//, ''));
  if (tags.includes(a.etag)) {
    res.status(304).end();
    return;
  }
  const [body, encoding] = accepts(req, 'br')
    ? [a.br, 'br']
    : accepts(req, 'gzip')
      ? [a.gzip, 'gzip']
      : [a.plain, undefined];
  if (encoding) res.set('Content-Encoding', encoding);
  res.send(body);
}
