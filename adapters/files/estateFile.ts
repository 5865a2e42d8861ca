// Loads an estate file (JSON or YAML; YAML is a superset of JSON, JSON is tried first for speed and for
// exact error positions) and validates it into the domain model.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { buildEstate, type Estate } from '../../domain/estate/model.js';
import type { EstateInput } from '../../domain/estate/schema.js';

export class EstateFileError extends Error {
  override readonly name = 'EstateFileError';
}

async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EstateFileError(`cannot read estate ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new EstateFileError(`estate ${path} is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return doc;
}

const invalid = (path: string, errors: readonly string[]): EstateFileError =>
  new EstateFileError(`estate ${path} is invalid: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (+${errors.length - 5} more)` : ''}`);

export async function loadEstateFile(path: string): Promise<Estate> {
  const result = buildEstate(await readDocument(path));
  if (!result.ok) throw invalid(path, result.errors);
  return result.estate;
}

/**
 * The file's document as written (validated, but without the defaults and lower-casing the model applies): what
 * `discover --merge` combines with a discovery, so the file's own spelling of every field it keeps survives.
 */
export async function loadEstateDocument(path: string): Promise<EstateInput> {
  const doc = await readDocument(path);
  const result = buildEstate(doc);
  if (!result.ok) throw invalid(path, result.errors);
  // buildEstate validated it against the schema (strict objects: no unknown field), so it has the input shape.
  return doc as EstateInput;
}
