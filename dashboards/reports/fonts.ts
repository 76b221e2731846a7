import { createRequire } from 'node:module';

/**
 * The fonts reports are drawn with, shipped as npm packages so a report looks the same on every machine:
 * DejaVu Sans (`dejavu-fonts-ttf`) for Latin text and Noto Sans SC (`@expo-google-fonts/noto-sans-sc`,
 * OFL) for Chinese. The PNG charts load both and fall back from DejaVu to Noto Sans SC glyph by glyph
 * (png.ts); the PDF writes a piece of text holding CJK characters in Noto Sans SC, embedding only the
 * glyphs used (pdf.ts).
 */

const require = createRequire(import.meta.url);
export const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
};
export const CJK_FONT_FILES = {
  regular: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf'),
};
export const LATIN_FAMILY = 'DejaVu Sans';
export const CJK_FAMILY = 'Noto Sans SC';

/** Han ideographs, CJK punctuation, full-width forms, kana and hangul: the text DejaVu has no glyphs for. */
const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;

export const hasCjk = (text: string): boolean => CJK.test(text);
