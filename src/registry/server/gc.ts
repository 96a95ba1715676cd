// Garbage collection of blobs, safe beside a running server. Mark: every manifest revision of
// every repository and the blobs it names (config, layers, an index's children). Sweep: a blob
// nobody marked, and whose mtime is older than the grace period, is deleted. The server
// refreshes a blob's mtime whenever a push is about to reference it (upload commit, mount, a
// HEAD that tells a client it need not upload, the manifest PUT's check; storage.touchBlob,
// always before it looks), and the sweep renames a blob aside before reading its mtime a last
// time (storage.sweepBlob), so a blob a concurrent push was told about is always spared.
// Bytes still in upload sessions live under uploads/, which the collector never touches.
import type { Digest } from '../../lib/digest.js';
import { checkManifest } from './manifest-check.js';
import type { RegistryStorage } from './storage.js';

export interface GcOptions {
  dryRun: boolean;
  /** Blobs modified within this many milliseconds are spared. */
  graceMs: number;
  now?: number;
}

export interface GcReport {
  repositories: number;
  manifests: number;
  marked: number;
  /** Blobs unreferenced and older than the grace period (deleted unless a dry run). */
  swept: { digest: Digest; size: number }[];
  /** Unreferenced blobs spared because they are young (a push may be about to use them). */
  spared: number;
  /** Temp files of interrupted blob writes removed (not in a dry run). */
  temps: number;
}

export async function collectGarbage(storage: RegistryStorage, o: GcOptions): Promise<GcReport> {
  const start = o.now ?? Date.now();
  // Candidates first, marks after: a manifest pushed during the mark touched its blobs, and
  // the sweep's fresh stat sees that.
  if (!o.dryRun) await storage.restoreCondemned(); // a collection killed mid-sweep
  const candidates = await storage.listBlobs();
  const marked = new Set<string>();
  const repos = await storage.listRepos();
  let manifests = 0;
  for (const repo of repos) {
    for (const d of await storage.revisions(repo)) {
      manifests++;
      marked.add(d);
      let bytes: Buffer;
      try {
        bytes = await storage.readBlob(d);
      } catch {
        continue; // a revision whose bytes are gone: nothing more to mark
      }
      try {
        const m = checkManifest(bytes, '');
        for (const b of [...m.blobs, ...m.manifests]) marked.add(b.digest);
      } catch {
        // Stored manifests were checked on PUT; one that no longer parses marks only itself.
      }
    }
  }
  const report: GcReport = { repositories: repos.length, manifests, marked: marked.size, swept: [], spared: 0, temps: 0 };
  if (!o.dryRun) report.temps = await storage.removeStaleTemps(start - o.graceMs);
  for (const d of candidates) {
    if (marked.has(d)) continue;
    const mtime = await storage.blobMtime(d);
    if (mtime === undefined) continue;
    if (mtime > start - o.graceMs) {
      report.spared++;
      continue;
    }
    const size = (await storage.blobSize(d)) ?? 0;
    if (!o.dryRun) {
      // Re-checked at the last moment: a push may have touched it since the listing.
      const again = await storage.blobMtime(d);
      if (again === undefined || again > start - o.graceMs) {
        report.spared++;
        continue;
      }
      if (!(await storage.sweepBlob(d, start - o.graceMs))) {
        report.spared++;
        continue;
      }
    }
    report.swept.push({ digest: d, size });
  }
  if (!o.dryRun && report.swept.length) {
    // Links to swept blobs would only ever answer BLOB_UNKNOWN; drop them unless re-pushed meanwhile.
    const gone = new Set<string>(report.swept.map((s) => s.digest));
    for (const repo of repos) {
      for (const d of await storage.linkedBlobs(repo)) {
        if (gone.has(d) && (await storage.blobSize(d)) === undefined) await storage.unlinkBlob(repo, d);
      }
    }
  }
  return report;
}
