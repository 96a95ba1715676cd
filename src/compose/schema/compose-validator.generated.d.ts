// Types of the validator that scripts/gen-compose-validator.mjs generates at build time from
// compose-spec.json (the .js is not committed).
export interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface ComposeValidator {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}
export declare const validate: ComposeValidator;
export default validate;
