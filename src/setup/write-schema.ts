/**
 * Writes schemas/pipeline.schema.json from the step kinds (`npm run schema`). Run it after
 * changing a kind's params; test/runner/schema.test.ts fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFor } from '../steps/index.js';
import { SCHEMAS_DIR } from '../util/paths.js';

const file = join(SCHEMAS_DIR, 'pipeline.schema.json');
writeFileSync(file, JSON.stringify(schemaFor(), null, 2) + '\n');
console.log(`wrote ${file}`);
