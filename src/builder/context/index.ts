// Public surface of the build-context helpers: .dockerignore, context tar extraction, and
// content hashes of COPY sources for cache keys.
export { parseDockerignore, PatternMatcher, withAlwaysSent, ignoreFileCandidates, type IgnorePattern } from '../../lib/dockerignore.js';
export { extractContext, removeFromContext, contextEntryName, type ExtractContextOptions, type ExtractContextResult } from './context-tar.js';
export { hashPaths, matchSources, type HashPathsOptions, type HashPathsResult } from './hash-paths.js';
export { goMatch, goGlob, hasGlobMeta } from '../../lib/go-match.js';
