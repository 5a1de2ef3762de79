// A small JSON Schema checker for the subset pydantic emits in
// shared/schemas/client-event.schema.json (the contract the ingest API enforces). It is an
// independent reading of the committed schema, not of the SDK's own types.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

type Schema = Record<string, any>;

export const CLIENT_EVENT: Schema = JSON.parse(
  readFileSync(resolve(__dirname, '../../shared/schemas/client-event.schema.json'), 'utf8'),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Problems of `value` against `schema`, as "path: what" strings; empty when valid. */
export function check(value: unknown, schema: Schema = CLIENT_EVENT, path = '$'): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/$defs/', '');
    return check(value, CLIENT_EVENT.$defs[name], path);
  }
  if (schema.anyOf) {
    const options = schema.anyOf.map((option: Schema) => check(value, option, path));
    return options.some((problems: string[]) => !problems.length) ? [] : options.flat();
  }
  const problems: string[] = [];
  const actual = typeOf(value);
  const expected = schema.type;
  const typeOk =
    !expected || expected === actual || (expected === 'number' && actual === 'integer');
  if (!typeOk) return [`${path}: ${actual} is not ${expected}`];
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: not one of the enum`);
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${path}: too long`);
    if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${path}: too short`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) problems.push(`${path}: pattern`);
    if (schema.format === 'uuid' && !UUID.test(value)) problems.push(`${path}: not a uuid`);
    if (schema.format === 'date-time' && !DATE_TIME.test(value)) problems.push(`${path}: not a date-time`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: above maximum`);
  }
  if (actual === 'object' && expected === 'object') {
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (!(name in record)) problems.push(`${path}.${name}: required`);
    }
    for (const [name, item] of Object.entries(record)) {
      const property = schema.properties?.[name];
      if (property) problems.push(...check(item, property, `${path}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${path}.${name}: not allowed`);
    }
  }
  return problems;
}
