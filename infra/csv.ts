/** CSV (RFC 4180) as the code writes it. Pure. */

/** One CSV field: quoted, its quotes doubled, when it holds a quote, a comma or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
