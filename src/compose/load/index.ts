// The compose loader's public surface: compose files -> the canonical Project (../model.ts).
export { loadProject, type LoadOptions } from './load-project.js';
export { serviceNamesOf, withServices, selectServices, withDependencies, activeProfiles } from './profiles.js';
export { selectComposeFiles, findDefaultFiles, DEFAULT_FILE_NAMES, OVERRIDE_FILE_NAMES } from './discover.js';
export { normalizeProjectName, isValidProjectName } from './project-name.js';
export { substitute } from './interpolate.js';
export { parseDotenv } from './dotenv.js';
export { fileObjectContent } from './file-objects.js';
