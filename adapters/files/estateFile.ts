// Loads an estate file (JSON or YAML; YAML is a superset of JSON, JSON is tried first for speed and for
// exact error positions) and validates it into the domain model.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { buildEstate, type Estate } from '../../domain/estate/model.js';

export class EstateFileError extends Error {
  override readonly name = 'EstateFileError';
}

export async function loadEstateFile(path: string): Promise<Estate> {
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
  const result = buildEstate(doc);
  if (!result.ok) throw new EstateFileError(`estate ${path} is invalid: ${result.errors.slice(0, 5).join('; ')}${result.errors.length > 5 ? ` (+${result.errors.length - 5} more)` : ''}`);
  return result.estate;
}
