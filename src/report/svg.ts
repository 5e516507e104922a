/**
 * Renders a Vega-Lite spec to a static SVG string headless: vega-lite compiles it to Vega, a Vega
 * View with renderer 'none' lays it out and `toSVG()` writes the markup (text widths are estimated,
 * no canvas needed). The loader refuses every URL: charts read inline data only, so building a
 * report never touches the network.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const quiet = {
  level(): any {
    return quiet;
  },
  error(...args: unknown[]): any {
    throw new Error(`report: chart error: ${args.map(String).join(' ')}`);
  },
  warn(): any {
    return quiet;
  },
  info(): any {
    return quiet;
  },
  debug(): any {
    return quiet;
  },
};

function offlineLoader() {
  const loader = vega.loader();
  loader.sanitize = async (uri: string) => {
    throw new Error(`report: charts use inline data only, refused to load ${JSON.stringify(uri)}`);
  };
  return loader;
}

/**
 * Vega numbers gradients and clip paths with process-wide counters (gradient_0, gradient_1, …):
 * renamed here to `<prefix>-<k>` so a report's bytes do not depend on what was rendered before it
 * and two charts in one page never share an id.
 */
export function renameIds(svg: string, prefix: string): string {
  const ids = [...new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))];
  if (ids.length === 0) return svg;
  const map = new Map(ids.map((id, k) => [id, `${prefix}-${k}`]));
  const alt = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})(")`, 'g'), (_m, a: string, id: string, b: string) => a + map.get(id) + b)
    .replace(new RegExp(`(url\\(#|href="#)(${alt})([)"])`, 'g'), (_m, a: string, id: string, b: string) => a + map.get(id) + b);
}

export async function renderSvg(spec: TopLevelSpec, idPrefix = 'chart'): Promise<string> {
  const compiled = compile(spec, { logger: quiet as any }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader(), logLevel: vega.Error });
  try {
    return renameIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}
