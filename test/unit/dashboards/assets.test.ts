import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { asset, sendAsset } from '../../../dashboards/assets.ts';

/** A response that records what `sendAsset` does with it. */
function recorder() {
  const r = { status: 200, headers: {} as Record<string, string>, body: undefined as Buffer | undefined };
  const res = {
    type: (t: string) => ((r.headers['content-type'] = t), res),
    set: (h: string | Record<string, string>, v?: string) => {
      if (typeof h === 'string') r.headers[h.toLowerCase()] = String(v);
      else for (const [k, x] of Object.entries(h)) r.headers[k.toLowerCase()] = x;
      return res;
    },
    status: (s: number) => ((r.status = s), res),
    end: () => res,
    send: (b: Buffer) => ((r.body = b), res),
  };
  return { r, res: res as unknown as Response };
}
const request = (headers: Record<string, string>) => ({ headers }) as unknown as Request;

const TEXT = 'export const 标题 = "客户体验";\n'.repeat(200);

describe('static assets: compressed once, revalidated by ETag', () => {
  const a = asset('text/javascript', TEXT);

  it('brotli when accepted, else gzip, else the plain bytes — each the same text', () => {
    const br = recorder();
    sendAsset(request({ 'accept-encoding': 'gzip, deflate, br' }), br.res, a);
    expect(br.r.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.r.body as Buffer).toString('utf8')).toBe(TEXT);
    expect((br.r.body as Buffer).byteLength).toBeLessThan(Buffer.byteLength(TEXT) / 10);

    const gz = recorder();
    sendAsset(request({ 'accept-encoding': 'gzip, br;q=0' }), gz.res, a);
    expect(gz.r.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.r.body as Buffer).toString('utf8')).toBe(TEXT);

    const plain = recorder();
    sendAsset(request({}), plain.res, a);
    expect(plain.r.headers['content-encoding']).toBeUndefined();
    expect((plain.r.body as Buffer).toString('utf8')).toBe(TEXT);
    for (const x of [br, gz, plain]) {
      expect(x.r.headers['etag']).toBe(a.etag);
      expect(x.r.headers['cache-control']).toBe('no-cache');
      expect(x.r.headers['vary']).toBe('Accept-Encoding');
    }
  });

  it('304 without a body for the current ETag (weak or in a list); the whole asset for another', () => {
    for (const tag of [a.etag, `W/${a.etag}`, `"old", ${a.etag}`]) {
      const x = recorder();
      sendAsset(request({ 'if-none-match': tag, 'accept-encoding': 'br' }), x.res, a);
      expect(x.r.status).toBe(304);
      expect(x.r.body).toBeUndefined();
    }
    const stale = recorder();
    sendAsset(request({ 'if-none-match': '"old"' }), stale.res, a);
    expect(stale.r.status).toBe(200);
    expect((stale.r.body as Buffer).toString('utf8')).toBe(TEXT);
  });

  it('the ETag follows the bytes', () => {
    expect(asset('text/css', 'a{}').etag).toBe(asset('text/css', 'a{}').etag);
    expect(asset('text/css', 'a{}').etag).not.toBe(asset('text/css', 'b{}').etag);
  });
});
