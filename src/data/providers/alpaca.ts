import type { Panel } from '../panel.js';
import type { FetchRequest, Provider } from '../provider.js';
import { DataError } from '../provider.js';
import type { AlpacaConfig } from '../config.js';

export class AlpacaProvider implements Provider {
  readonly name = 'alpaca';
  constructor(
    readonly config: AlpacaConfig,
    _env: NodeJS.ProcessEnv,
  ) {}
  identity(): Record<string, unknown> {
    return { provider: 'alpaca' };
  }
  async fetch(_req: FetchRequest): Promise<Panel> {
    throw new DataError('alpaca provider: not implemented yet');
  }
}
