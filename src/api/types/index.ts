// Docker Engine API v1.45 wire types: one import for the CLI, compose and the server.
export type * from './container.js';
export type * from './image.js';
export type * from './exec.js';
export type * from './system.js';
export type * from './volume.js';
export type * from './network.js';
