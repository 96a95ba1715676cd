// The CLI's version, in its own module so main.ts and `version` share it without a JSON read.
export const VERSION = '0.1.0';
