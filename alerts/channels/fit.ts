/**
 * Fitting text into a vendor's size limit, which each counts in UTF-8 bytes (a Chinese character is
 * three): cut at a character boundary, never inside one, and drop whole lines before cutting one.
 * Pure.
 */

const encoder = new TextEncoder();

export const utf8Bytes = (s: string): number => encoder.encode(s).length;

/** `s` cut to at most `max` UTF-8 bytes (with `suffix` when cut), at a code-point boundary. */
export function truncateBytes(s: string, max: number, suffix = '…'): string {
  if (utf8Bytes(s) <= max) return s;
  const room = max - utf8Bytes(suffix);
  if (room <= 0) return '';
  let out = '';
  let used = 0;
  for (const ch of s) {
    const b = utf8Bytes(ch);
    if (used + b > room) break;
    out += ch;
    used += b;
  }
  return out + suffix;
}

/**
 * `head` + `body` + `tail` joined by `sep` within `max` bytes: lines of `body` are dropped from its end
 * (replaced by `more(dropped)`) until it fits; the head and tail (the title, the link, the mentions)
 * stay. When even the head and tail are too long the whole is cut with {@link truncateBytes}.
 */
export function fitLines(
  parts: { head: readonly string[]; body: readonly string[]; tail: readonly string[] },
  max: number,
  more: (dropped: number) => string,
  sep = '\n',
): string {
  const join = (body: readonly string[]) => [...parts.head, ...body, ...parts.tail].join(sep);
  const whole = join(parts.body);
  if (utf8Bytes(whole) <= max) return whole;
  for (let keep = parts.body.length - 1; keep >= 0; keep--) {
    const text = join([...parts.body.slice(0, keep), more(parts.body.length - keep)]);
    if (utf8Bytes(text) <= max) return text;
  }
  return truncateBytes(join([more(parts.body.length)]), max);
}
