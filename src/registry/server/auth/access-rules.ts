// Which account may do what, from an access file (JSON):
//   {"rules": [{"account": "alice", "repositories": "*", "actions": ["pull", "push", "delete"]},
//              {"account": "bob", "repositories": "team/*", "actions": ["pull"]},
//              {"account": "anonymous", "repositories": "public/*", "actions": ["pull"]}]}
// `account` is a user of the htpasswd file, "*" for any signed-in user, or "anonymous";
// `repositories` is a glob where `*` matches anything (slashes too). Rules only add: an action
// is granted when some rule grants it. The catalog goes with a rule whose actions hold "*".
// Without an access file every signed-in user may do everything and anonymous nothing.
import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../../../lib/errors.js';
import type { Action, Scope } from '../access.js';

interface Rule {
  account: string;
  pattern: RegExp;
  actions: Set<string>;
}

export const ANONYMOUS = 'anonymous';

export class AccessRules {
  private constructor(private readonly rules: readonly Rule[] | undefined) {}

  /** Every signed-in account may do everything. */
  static allowAuthenticated(): AccessRules {
    return new AccessRules(undefined);
  }

  static parse(text: string): AccessRules {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw invalidArgument(`access file is not JSON: ${(e as Error).message}`);
    }
    const rules = (v as { rules?: unknown }).rules;
    if (!Array.isArray(rules)) throw invalidArgument('access file: want {"rules": [...]}');
    return new AccessRules(
      rules.map((r: unknown, i) => {
        const o = r as { account?: unknown; repositories?: unknown; actions?: unknown };
        if (
          typeof o.account !== 'string' ||
          typeof o.repositories !== 'string' ||
          !Array.isArray(o.actions) ||
          !o.actions.every((a) => typeof a === 'string')
        ) {
          throw invalidArgument(`access file: rule ${i} wants account, repositories and actions`);
        }
        const glob = o.repositories
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*');
        return { account: o.account, pattern: new RegExp(`^${glob}$`), actions: new Set(o.actions as string[]) };
      }),
    );
  }

  static async load(path: string): Promise<AccessRules> {
    return AccessRules.parse(await readFile(path, 'utf8'));
  }

  /** The actions of `scope` that `account` (undefined: anonymous) is granted. */
  granted(account: string | undefined, scope: Scope): Action[] {
    if (this.rules === undefined) return account === undefined ? [] : scope.actions;
    const mine = this.rules.filter((r) => (account === undefined ? r.account === ANONYMOUS : r.account === account || r.account === '*'));
    return scope.actions.filter((a) =>
      mine.some((r) => {
        if (scope.type === 'registry') return r.actions.has('*');
        return r.pattern.test(scope.name) && (r.actions.has(a) || r.actions.has('*'));
      }),
    );
  }

  allows(account: string | undefined, scope: Scope): boolean {
    return this.granted(account, scope).length === scope.actions.length;
  }
}
