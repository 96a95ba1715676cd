// Splits a `command:`/`entrypoint:` string into words as a POSIX shell would, without expanding
// anything (compose-go uses go-shellwords the same way): whitespace separates, single quotes are
// literal, double quotes keep backslash escapes of `"`, `\`, `$` and `` ` ``, a backslash outside
// quotes escapes the next character.

export class ShellSplitError extends Error {}

export function shellSplit(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 < s.length) {
        cur += s[++i];
        inWord = true;
      }
      continue;
    }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new ShellSplitError(`unterminated single quote in ${JSON.stringify(s)}`);
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && '"\\$`'.includes(s[j + 1] ?? '')) j++;
        cur += s[j];
      }
      if (j >= s.length) throw new ShellSplitError(`unterminated double quote in ${JSON.stringify(s)}`);
      i = j;
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (inWord) words.push(cur);
  return words;
}
