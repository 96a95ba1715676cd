// Validation against the compose-spec JSON schema (schema/compose-spec.json, shipped with the
// product), by the small interpreter in schema/schema-check.ts. Its errors become one message in
// compose's form: `validating <file>: services.web.ports.0 must be a number, string or mapping`.
import schema from '../schema/compose-spec.json' with { type: 'json' };
import { SchemaChecker, type SchemaError } from '../schema/schema-check.js';
import { validationError } from '../errors.js';

let checker: SchemaChecker | undefined;

export function validateComposeFile(data: unknown, file: string): void {
  checker ??= new SchemaChecker(schema as ConstructorParameters<typeof SchemaChecker>[0]);
  const errors = checker.check(data);
  if (!errors.length) return;
  const { path, problem } = describe(errors);
  throw validationError(file, path, problem);
}

function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const typeName = (t: string) => (t === 'object' ? 'mapping' : t === 'array' ? 'list' : t);

/** Picks the most telling error: the deepest one, or the union of types a `oneOf` wanted. */
export function describe(errors: SchemaError[]): { path: string; problem: string } {
  const last = errors[errors.length - 1];
  if (!last) return { path: '', problem: 'is invalid' };
  let chosen = last;
  for (const e of errors) if (e.instancePath.length > chosen.instancePath.length) chosen = e;
  const path = dotted(chosen.instancePath);
  if (chosen.keyword === 'oneOf' || chosen.keyword === 'type' || chosen.keyword === 'anyOf') {
    const here = errors.filter((e) => e.instancePath === chosen.instancePath && e.keyword === 'type');
    if (here.length) {
      const types = [...new Set(here.flatMap((e) => String(e.params.type).split(',')).map(typeName))];
      const words = types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}` : types[0]!;
      return { path, problem: `must be ${article(words)}` };
    }
  }
  const p = chosen.params;
  switch (chosen.keyword) {
    case 'additionalProperties':
      return { path, problem: `additional properties '${String(p.additionalProperty)}' not allowed` };
    case 'required':
      return { path, problem: `missing property '${String(p.missingProperty)}'` };
    case 'enum':
      return { path, problem: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'uniqueItems':
      return { path, problem: `array items ${String(p.j)} and ${String(p.i)} are equal` };
    case 'pattern':
      return { path, problem: `does not match pattern '${String(p.pattern)}'` };
    case 'oneOf':
      return { path, problem: 'must match exactly one of its allowed forms' };
    default:
      return { path, problem: chosen.message };
  }
}
