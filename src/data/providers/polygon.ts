import type { Panel } from '../panel.js';
import type { FetchRequest, Provider } from '../provider.js';
import { DataError } from '../provider.js';
import type { PolygonConfig } from '../config.js';

export class PolygonProvider implements Provider {
  readonly name = 'polygon';
  constructor(
    readonly config: PolygonConfig,
    _env: NodeJS.ProcessEnv,
  ) {}
  identity(): Record<string, unknown> {
    return { provider: 'polygon' };
  }
  async fetch(_req: FetchRequest): Promise<Panel> {
    throw new DataError('polygon provider: not implemented yet');
  }
}
