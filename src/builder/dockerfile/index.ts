// Public surface of the Dockerfile front end: parse -> typed instructions -> stage graph, plus
// the variable substitution and ARG scoping an executor applies while it runs the stages.
export { parseDockerfile, type ParseOptions } from './parser.js';
export { dumpAst, dumpNode, type AstNode, type Heredoc, type ParsedDockerfile, type ParseWarning } from './ast.js';
export { DockerfileParseError, type SourceLocation } from './parse-error.js';
export { toInstruction, toInstructions, instructionNames } from './instructions.js';
export type * from './instruction-types.js';
export { parseMount, type RunMount, type MountType, type CacheSharing } from './run-mount.js';
export { ShellLex, ShellLexError, envLookup, type EnvLookup, type LexOptions, type ProcessResult } from './shell-lex.js';
export { expandInstruction, type ExpandResult } from './expand.js';
export { GlobalArgs, StageScope, proxyArgs, platformArgs, hostPlatform, formatPlatform, type Platform } from './arg-scope.js';
export { parseStages, type Stage, type StageBase, type StageDependency, type StageGraph, type StageGraphOptions } from './stages.js';
