import { translator } from '../../i18n/translator.ts';
import { moreLine, summaryLine, summaryTitle, wordsOf } from './text.ts';
import { fitLines } from './fit.ts';
import type { Message, Transition } from './types.ts';

/**
 * A message laid out as lines in a vendor's dialect (markdown with its own colours, lark_md, plain
 * text): the title, the facts (or, for a summary, one line per notification), the link and the
 * mentions, fitted into the vendor's byte limit by dropping summary lines first. Pure.
 */

export interface Style {
  title(text: string, transition: Transition | 'summary'): string;
  fact(label: string, colon: string, value: string): string;
  link(label: string, url: string): string;
  /** a summary's line for one notification, with its link */
  item(line: string, url: string): string;
  /** how lines are joined (markdown dialects differ on single newlines) */
  separator?: string;
}

export interface Laid {
  /** the title in plain words (DingTalk's `title`, Feishu's card header, an email's subject) */
  title: string;
  transition: Transition | 'summary';
  /** the body in the style, within `maxBytes` */
  text: string;
}

/** Lay a message out in `style`, `tail` (mentions) kept last, within `maxBytes` UTF-8 bytes. */
export function layout(msg: Message, style: Style, maxBytes: number, tail: readonly string[] = []): Laid {
  const sep = style.separator ?? '\n';
  // a style may leave a part out (Feishu's card has the title in its header, the link on a button)
  const some = (lines: readonly string[]) => lines.filter((l) => l !== '');
  if (msg.length === 1) {
    const w = wordsOf(msg[0]);
    const colon = translator(msg[0].locale).t('alerts:colon');
    const text = fitLines(
      {
        head: some([style.title(w.title, w.transition)]),
        body: w.facts.map((f) => style.fact(f.label, colon, f.value)),
        tail: some([style.link(w.link.label, w.link.url), ...tail]),
      },
      maxBytes,
      () => '…',
      sep,
    );
    return { title: w.title, transition: w.transition, text };
  }
  const title = summaryTitle(msg);
  const text = fitLines(
    {
      head: some([style.title(title, 'summary')]),
      body: msg.map((n) => style.item(summaryLine(n), n.link)),
      tail: some(tail),
    },
    maxBytes,
    (dropped) => moreLine(msg, dropped),
    sep,
  );
  return { title, transition: 'summary', text };
}

/** Plain text, for channels without markdown (a WeCom or Feishu text message, an email's text part). */
export const PLAIN: Style = {
  title: (text) => text,
  fact: (label, colon, value) => `${label}${colon}${value}`,
  link: (label, url) => `${label}${label ? ' ' : ''}${url}`,
  item: (line, url) => `- ${line} ${url}`,
};
