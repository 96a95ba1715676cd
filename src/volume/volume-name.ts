// Volume names as Docker's local driver accepts them, and the random names of anonymous volumes.
import { randomBytes } from 'node:crypto';
import { invalidVolumeName, volumeNameTooShort } from '../lib/docker-messages.js';
import { invalidArgument } from '../lib/errors.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Throws Docker's texts ("create x/y: ... includes invalid characters ...") for a bad name. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw volumeNameTooShort(name);
  if (!NAME.test(name)) throw invalidVolumeName(name);
  // The name is a directory name: past the filesystem's limit mkdir fails (dockerd then answers 500).
  if (name.length > 255) throw invalidArgument(`create ${name.slice(0, 40)}...: volume name is longer than 255 characters`);
}

/** 64 hex characters, like Docker's stringid.GenerateRandomID. */
export function randomVolumeName(): string {
  return randomBytes(32).toString('hex');
}
