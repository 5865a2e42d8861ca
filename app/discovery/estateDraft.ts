// Discovery to an estate document: run discovery, make the estate file it describes, and — given a hand-edited file —
// merge the two (discovery owns the topology, the file the rest). What `keysteward discover` writes and what the local
// stack (`npm start`) gives its host: one path, so the demo's estate is exactly what the command reproduces.
import { discoveredEstateDoc, type EstateDraft } from '../../domain/discovery/estateDoc.js';
import { mergeEstate, type MergeReport } from '../../domain/discovery/merge.js';
import { estateSchema, type EstateInput } from '../../domain/estate/schema.js';
import { discover, type DiscoverDeps, type DiscoverRequest, type DiscoveryResult } from './discover.js';

export interface DiscoveredDraft {
  readonly result: DiscoveryResult;
  readonly draft: EstateDraft;
  /** Null without a file to merge. */
  readonly merge: MergeReport | null;
}

/** A defect that would make an estate the service refuses: an infrastructure signal, never an expected outcome. */
export class InvalidDiscoveredEstateError extends Error {
  override readonly name = 'InvalidDiscoveredEstateError';
}

export async function discoverEstateDraft(deps: DiscoverDeps, request: DiscoverRequest, file: { readonly doc: EstateInput; readonly name: string } | null): Promise<DiscoveredDraft> {
  const result = await discover(deps, request);
  let draft = discoveredEstateDoc(result.estate, result.facts);
  let merge: MergeReport | null = null;
  if (file) ({ draft, report: merge } = mergeEstate(file.doc, draft, file.name));
  // The document is valid by construction; checked again so a defect can never write an estate the service refuses.
  const check = estateSchema.safeParse(draft.doc);
  if (!check.success) throw new InvalidDiscoveredEstateError(`discover built an invalid estate: ${check.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { result, draft, merge };
}
