import type { Panel } from '../panel.js';
import type { FetchRequest, Provider } from '../provider.js';
import { DataError } from '../provider.js';
import type { FolderConfig } from '../config.js';

export class FolderProvider implements Provider {
  readonly name = 'folder';
  constructor(readonly config: FolderConfig) {}
  identity(): Record<string, unknown> {
    return { provider: 'folder', ...this.config };
  }
  latestDate(): string | undefined {
    return undefined;
  }
  async fetch(_req: FetchRequest): Promise<Panel> {
    throw new DataError('folder provider: not implemented yet');
  }
}
