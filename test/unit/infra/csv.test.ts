import { describe, expect, it } from 'vitest';
import { csvField } from '../../../infra/csv.ts';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['chat, web', '"chat, web"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ["it's", "it's"],
  ])('%j → %j', (text, want) => {
    expect(csvField(text)).toBe(want);
  });
});
