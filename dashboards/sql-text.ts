import { CxError } from '../infra/errors.ts';

/**
 * Gate 1 of the analysts' SQL, over the text alone: one statement, no quoted name that could forge a line
 * of `EXPLAIN AST`'s output, and the names the query may define as CTEs.
 *
 * The scanner follows ClickHouse's lexer where a difference would matter: strings `'…'` (backslash
 * escapes, `''`), quoted names `"…"` and `` `…` ``, comments `--`, `# `, `#!` and nested `/* … *\/`, and
 * heredoc strings `$$…$$` / `$tag$…$tag$` (the engine's tag is letters, digits and `_`, case-sensitive).
 * A `$` anywhere else in the code is refused rather than guessed at: the engine reads `a$b$` as one name
 * and `1$b$` as a number before a heredoc, so a scanner that guessed wrong could take code for a string.
 */

export const MAX_SQL_CHARS = 100_000;

export function refused(message: string, what: string): CxError {
  return new CxError('sql_refused', message, { details: { refused: what } });
}

interface Scan {
  /** Offset of the `;` that ends the statement, or -1. */
  end: number;
  /** The text with strings, comments and quoted names blanked out (same length). */
  code: string;
}

const WORD = /[A-Za-z0-9_$]/;
/** A quoted name must not hold a line break or a backslash: `EXPLAIN AST` prints names raw, one node a line. */
const safeName = (name: string): boolean =>
  [...name].every((ch) => ch !== '\\' && ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f);

function closing(sql: string, i: number, q: string): number {
  let j = i + 1;
  for (; j < sql.length && sql[j] !== q; j++) if (sql[j] === '\\') j++;
  return j;
}

function commentEnd(sql: string, i: number): number {
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j++;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j;
    }
  }
  return sql.length;
}

function heredocEnd(sql: string, i: number): number {
  const prev = i > 0 ? (sql[i - 1] as string) : ' ';
  const tag = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(i, i + 200))?.[0];
  if (WORD.test(prev) || !tag) throw refused('"$" may only start a $$…$$ or $tag$…$tag$ string', '$');
  const close = sql.indexOf(tag, i + tag.length);
  if (close < 0) throw refused(`the string opened by ${tag} is not closed`, tag);
  return close + tag.length - 1;
}

/** One pass over the text: where the statement ends, and the text with everything quoted blanked. */
function scan(sql: string): Scan {
  let code = '';
  let i = 0;
  const skip = (to: number) => {
    code += ' '.repeat(to - i + 1);
    i = to + 1;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      const to = closing(sql, i, c);
      if (c !== "'" && !safeName(sql.slice(i + 1, to)))
        throw refused('a quoted name may not hold a line break, a control character or "\\"', 'quoted name');
      skip(to);
    } else if (
      (c === '-' && sql[i + 1] === '-') ||
      (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!'))
    ) {
      const nl = sql.indexOf('\n', i);
      skip(nl < 0 ? sql.length - 1 : nl);
    } else if (c === '/' && sql[i + 1] === '*') skip(commentEnd(sql, i));
    else if (c === '$') skip(heredocEnd(sql, i));
    else if (c === ';') return { end: i, code };
    else {
      code += c;
      i++;
    }
  }
  return { end: -1, code };
}

/** The statement without a trailing `;`; refuses several statements and SETTINGS. */
export function singleStatement(sql: string): string {
  if (sql.length > MAX_SQL_CHARS)
    throw refused(`the query is longer than ${MAX_SQL_CHARS} characters`, 'length');
  const { end, code } = scan(sql);
  const rest = end < 0 ? null : scan(sql.slice(end + 1));
  if (rest && (rest.end >= 0 || rest.code.trim().length > 0))
    throw refused('one statement at a time: remove everything after the first ";"', 'several statements');
  const stmt = (end < 0 ? sql : sql.slice(0, end)).trim();
  if (stmt.length === 0 || code.trim().length === 0) throw refused('the query is empty', 'empty');
  if (/\bSETTINGS\b/i.test(code))
    throw refused('SETTINGS are not allowed: limits are fixed for analysts', 'SETTINGS');
  return stmt;
}

/**
 * Every name the statement may define as a CTE (`name AS (`, `name (a, b) AS (`). It may
 * list more than the CTEs (the table check refuses a CTE name that is also a closed table), never fewer
 * of the plain names `EXPLAIN AST` prints. Names keep their case, as the engine's do.
 */
export function cteNames(stmt: string): Set<string> {
  const { code } = scan(stmt);
  const names = new Set<string>();
  for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^()]*\)\s*)?\bAS\s*\(/gi))
    names.add(m[1] as string);
  return names;
}
