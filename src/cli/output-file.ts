// `-o FILE` of save and export, as the docker CLI's CopyToFile: the archive streams into a temp
// file beside FILE and is renamed onto it only when the stream ended whole, so a daemon that dies
// mid-stream (or any error) leaves FILE as it was, never a truncated archive that looks finished.
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

export async function copyToFile(src: Readable, file: string): Promise<void> {
  const temp = join(dirname(file), `.docker_temp_${basename(file)}.${process.pid}.${Date.now().toString(36)}`);
  // Opened before the stream flows: a write stream that opens its file itself may create it after
  // a source that failed at once has made the clean-up below run, leaving the temp file behind.
  const fh = await open(temp, 'wx', 0o600);
  try {
    await pipeline(src, fh.createWriteStream());
    await rename(temp, file);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(temp, { force: true });
    throw e;
  }
}
