// HTTP routing for the standalone host: the same routes as the Function App (under /api), plus the operator
// console's routes at the root too (`/`, `/protectors/{id}`, `/rotations`…: `rootAlias`). Routes use the Functions `{param}` syntax; matching is exact per segment.
import { maxBodyBytesOf, type FunctionDefinition, type HttpInput, type HttpOutput, type HttpTrigger } from '../../functions/definitions.js';

type HttpDefinition = Extract<FunctionDefinition, { trigger: HttpTrigger }>;

export interface Route {
  readonly methods: ReadonlySet<string>;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** Bodies above this are refused (413) while being read, before the handler runs. */
  readonly maxBodyBytes: number;
  readonly handler: (req: HttpInput) => Promise<HttpOutput>;
}

export function compileRoute(prefix: string, route: string, methods: readonly string[], handler: Route['handler'], maxBodyBytes: number): Route {
  const names: string[] = [];
  const source = `${prefix}/${route}`
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        names.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { methods: new Set(methods), pattern: new RegExp(`^/${source}/?$`), names, maxBodyBytes, handler };
}

export function routesOf(definitions: readonly FunctionDefinition[]): Route[] {
  const routes: Route[] = [];
  for (const def of definitions) {
    if (def.trigger.type !== 'http') continue;
    const http = def as HttpDefinition;
    const limit = maxBodyBytesOf(http.trigger);
    routes.push(compileRoute('api', http.trigger.route, http.trigger.methods, http.handler, limit));
    if (http.trigger.rootAlias) routes.push(compileRoute('', http.trigger.route.split('/').slice(1).join('/'), http.trigger.methods, http.handler, limit));
  }
  return routes;
}

export type RouteMatch = { readonly route: Route; readonly params: Record<string, string> } | { readonly status: 404 | 405 };

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (!route.methods.has(method)) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route, params };
  }
  return { status: pathMatched ? 405 : 404 };
}
