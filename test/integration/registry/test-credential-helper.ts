// Test support: a docker credential helper (`docker-credential-testhelper`) as a small shell
// script that keeps each server's {"ServerURL","Username","Secret"} as one line of a file and
// logs every verb it is run with, so tests can see that credentials went through it.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SCRIPT = `#!/bin/sh
store="$(dirname "$0")/store"
echo "$1" >> "$(dirname "$0")/verbs"
touch "$store"
case "$1" in
  get)
    read -r url
    line=$(grep -F "\\"ServerURL\\":\\"$url\\"," "$store" | tail -n 1)
    if [ -z "$line" ]; then echo "credentials not found in native keychain"; exit 1; fi
    echo "$line" ;;
  store)
    json=$(cat)
    url=$(echo "$json" | sed 's/^{"ServerURL":"\\([^"]*\\)".*/\\1/')
    grep -vF "\\"ServerURL\\":\\"$url\\"," "$store" > "$store.new"; echo "$json" >> "$store.new"; mv "$store.new" "$store" ;;
  erase)
    read -r url
    grep -vF "\\"ServerURL\\":\\"$url\\"," "$store" > "$store.new"; mv "$store.new" "$store" ;;
  list)
    echo '{}' ;;
  *) echo "unknown verb $1"; exit 1 ;;
esac
`;

export interface TestHelper {
  /** Put this directory first on the PATH. */
  binDir: string;
  /** The lines the helper holds. */
  stored(): Promise<{ ServerURL: string; Username: string; Secret: string }[]>;
  /** The verbs it was run with, in order. */
  verbs(): Promise<string[]>;
}

export async function makeTestHelper(dir: string): Promise<TestHelper> {
  const binDir = join(dir, 'helper-bin');
  await mkdir(binDir, { recursive: true });
  const bin = join(binDir, 'docker-credential-testhelper');
  await writeFile(bin, SCRIPT);
  await chmod(bin, 0o755);
  const lines = async (f: string) => (await readFile(join(binDir, f), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    binDir,
    stored: async () => (await lines('store')).map((l) => JSON.parse(l) as { ServerURL: string; Username: string; Secret: string }),
    verbs: () => lines('verbs'),
  };
}
