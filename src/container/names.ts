// Container ids and names: 64-hex random ids like Docker, Docker's name rule, and generated
// "adjective_noun" names for containers created without --name.
import { randomBytes, randomInt } from 'node:crypto';
import { invalidArgument } from '../lib/errors.js';

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validates a user-given name and strips the optional leading '/'. */
export function normaliseName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.replace(/^\//, '');
}

const ADJECTIVES = [
  'admiring',
  'bold',
  'brave',
  'calm',
  'clever',
  'dazzling',
  'eager',
  'elated',
  'festive',
  'focused',
  'gallant',
  'gifted',
  'happy',
  'hopeful',
  'jolly',
  'keen',
  'kind',
  'lucid',
  'modest',
  'nifty',
  'optimistic',
  'peaceful',
  'quirky',
  'relaxed',
  'serene',
  'sharp',
  'stoic',
  'tender',
  'trusting',
  'upbeat',
  'vibrant',
  'wizardly',
  'youthful',
  'zealous',
];
const NOUNS = [
  'albattani',
  'babbage',
  'curie',
  'darwin',
  'einstein',
  'fermi',
  'galileo',
  'hopper',
  'hypatia',
  'jemison',
  'kepler',
  'lovelace',
  'meitner',
  'newton',
  'noether',
  'pascal',
  'ride',
  'sagan',
  'shannon',
  'tesla',
  'turing',
  'wozniak',
  'yalow',
  'zhukovsky',
];

export function generateName(taken: (n: string) => boolean): string {
  for (let i = 0; i < 100; i++) {
    const n = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}${i > 10 ? randomInt(10) : ''}`;
    if (!taken(n)) return n;
  }
  return `berth_${randomBytes(6).toString('hex')}`;
}
