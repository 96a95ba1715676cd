// sortorder.NaturalLess (github.com/fvbommel/sortorder), which docker uses to order volume and
// network listings: runs of digits compare as numbers, everything else bytewise (UTF-8).
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

export function naturalLess(a: string, b: string): boolean {
  const s1 = Buffer.from(a, 'utf8');
  const s2 = Buffer.from(b, 'utf8');
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1[i]!;
    const c2 = s2[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1; // digits sort before other characters
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (i < s1.length && s1[i] === 0x30) i++;
    while (j < s2.length && s2[j] === 0x30) j++;
    const nz1 = i;
    const nz2 = j;
    while (i < s1.length && isDigit(s1[i]!)) i++;
    while (j < s2.length && isDigit(s2[j]!)) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2; // the shorter number is smaller
    const n1 = s1.subarray(nz1, i).toString('latin1');
    const n2 = s2.subarray(nz2, j).toString('latin1');
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2; // fewer leading zeros first
  }
  return s1.length < s2.length; // identical so far: the one that ended sorts first
}

/** Array.sort comparator over naturalLess. */
export const naturalCompare = (a: string, b: string): number => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0);
