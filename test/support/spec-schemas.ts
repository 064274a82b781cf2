import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/**
 * Validates fixture and sandbox bodies against the official API definitions copied into test/specs
 * (see its README for provenance). Swagger 2.0 keeps schemas under `definitions`, OpenAPI 3 under
 * `components.schemas`; both are loaded whole into Ajv so every $ref resolves inside its own document.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const SPECS_DIR = process.env.OSW_SPECS_DIR ?? join(here, '..', 'specs');

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Spec = Record<string, unknown>;
const cache = new Map<string, { ajv: Ajv; spec: Spec; id: string }>();

/** Any casing of one enum value, as a regular expression (Ajv patterns take no flags). */
const anyCasing = (value: string) =>
  [...value].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');

/**
 * The enums live responses are seen to send in another casing than the definition lists, and only
 * those (test/specs/README.md): Etsy's receipt status ("Fully Refunded" for "fully refunded").
 */
const LIVE_CASING: Record<string, string[][]> = {
  'etsy/etsy-openapi-v3.json': [['components', 'schemas', 'ShopReceipt', 'properties', 'status']],
};
const CASE_INSENSITIVE = 'x-osw-live-casing';

function markLiveCasing(file: string, spec: Spec) {
  for (const path of LIVE_CASING[file] ?? []) {
    const node = path.reduce<Record<string, unknown> | undefined>((n, key) => n?.[key] as Record<string, unknown> | undefined, spec);
    if (!node || !Array.isArray(node.enum)) throw new Error(`${file}: no enum at ${path.join('.')} to relax`);
    node[CASE_INSENSITIVE] = true;
  }
}

/**
 * Two rewrites of the definition, both documented in test/specs/README.md:
 * - OpenAPI 3.0 `nullable: true` is not JSON Schema: it becomes a type union;
 * - the enums in LIVE_CASING accept any casing of their values, and still refuse values they do not list.
 */
function adaptDefinition(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(adaptDefinition);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = adaptDefinition(v);
  if (out[CASE_INSENSITIVE] === true && Array.isArray(out.enum) && out.enum.every((v) => typeof v === 'string')) {
    out.pattern = `^(?:${(out.enum as string[]).map(anyCasing).join('|')})$`;
    out.type ??= 'string';
    delete out.enum;
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.$ref || out.allOf || out.oneOf || out.anyOf) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function load(file: string) {
  let entry = cache.get(file);
  if (!entry) {
    const text = readFileSync(join(SPECS_DIR, file), 'utf8');
    const raw = (file.endsWith('.yaml') || file.endsWith('.yml') ? parseYaml(text) : JSON.parse(text)) as Spec;
    markLiveCasing(file, raw);
    const spec = adaptDefinition(raw) as Spec;
    const id = `spec:${file}`;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    // Specs use vendor keywords (x-...) and `example`; strict mode off lets Ajv ignore them.
    ajv.addSchema({ ...spec, $id: id } as object);
    entry = { ajv, spec, id };
    cache.set(file, entry);
  }
  return entry;
}

/** A validator for a named schema: `definitions/Order` (Swagger 2) or `components/schemas/Order` (OpenAPI 3). */
export function schemaValidator(file: string, pointer: string): ValidateFunction {
  const { ajv, id } = load(file);
  const fn = ajv.getSchema(`${id}#/${pointer}`);
  if (!fn) throw new Error(`no schema ${pointer} in ${file}`);
  return fn;
}

/** Throws with every violation listed when `body` does not match the schema. */
export function assertMatchesSchema(file: string, pointer: string, body: unknown): void {
  const validate = schemaValidator(file, pointer);
  if (!validate(body)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`body does not match ${file}#/${pointer}:\n  ${problems.join('\n  ')}`);
  }
}

export function specDocument(file: string): Spec {
  return load(file).spec;
}
