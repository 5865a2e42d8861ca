// Keeps the error body of failed Key Vault responses for errors.ts. Needed because the SDK's pagers (e.g.
// listPropertiesOfKeyVersions) throw "Pagination failed with unexpected statusCode 403" with neither the service's
// message nor its inner code (ForbiddenByRbac / ForbiddenByFirewall...), which say why access was lost.
// Keyed by the pipeline request object, which the RestError carries as `request`; nothing else is kept, and only
// the error's code, inner code and message (never a request or a success body).
import type { PipelinePolicy, PipelineRequest, RestError } from '@azure/core-rest-pipeline';

export interface ServiceError {
  readonly code: string | null;
  readonly innerCode: string | null;
  readonly message: string;
}

export function parseServiceError(text: string | undefined): ServiceError | null {
  if (!text) return null;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; innererror?: { code?: unknown } } }).error;
    if (!e) return null;
    return {
      code: typeof e.code === 'string' ? e.code : null,
      innerCode: typeof e.innererror?.code === 'string' ? e.innererror.code : null,
      message: typeof e.message === 'string' ? e.message : '',
    };
  } catch {
    return null;
  }
}

export class ErrorBodies {
  private readonly byRequest = new WeakMap<PipelineRequest, ServiceError>();

  readonly policy: PipelinePolicy = {
    name: 'keystewardKeyVaultErrorBodies',
    sendRequest: async (request, next) => {
      const response = await next(request);
      if (response.status >= 400) {
        const parsed = parseServiceError(response.bodyAsText ?? undefined);
        if (parsed) this.byRequest.set(request, parsed);
      }
      return response;
    },
  };

  of(err: RestError): ServiceError | undefined {
    return err.request ? this.byRequest.get(err.request) : undefined;
  }
}
