// Docker's `label` filter grammar, shared by every list and prune that filters on labels (images,
// networks, volumes, events): each value is "key" (the key is set) or "key=value" (set to
// exactly that), and every value must match, as moby's filters.Args.MatchKVList.

/** Whether `labels` satisfy every `want` and none of `notWant` (the `label!` filter). */
export function labelsMatch(labels: Readonly<Record<string, string>> | null | undefined, want: readonly string[], notWant: readonly string[] = []): boolean {
  const one = (f: string) => {
    if (!labels) return false;
    const i = f.indexOf('=');
    const key = i === -1 ? f : f.slice(0, i);
    return Object.prototype.hasOwnProperty.call(labels, key) && (i === -1 || labels[key] === f.slice(i + 1));
  };
  return want.every(one) && !notWant.some(one);
}
