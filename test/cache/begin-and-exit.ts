/** A child process for the contract's "died mid-run" case: begins a run on a store, exits without finishing it. */
import { openLocalStore } from '../../src/cache/store.js';
import { openSharedFolderStore } from '../../src/cache/shared-folder.js';

const [backend, location, id] = process.argv.slice(2);
const s = backend === 'local' ? openLocalStore(location) : openSharedFolderStore(location);
await s.runs.begin({ id, startedAt: Date.now(), specPath: '/x.yaml', specName: 'x', specHash: 'h', specText: 'name: x', resolved: {}, seed: 1, packageVersion: '0' });
await s.runs.recordNode(id, { id: 'fetch#0', step: 'fetch', status: 'ran', ms: 1 });
process.exit(0); // recorded (the awaits), then no finish, no close: as if killed
