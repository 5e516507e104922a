import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (holds package.json, schemas/, pipelines/), from src/ or dist/ alike. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SCHEMAS_DIR = resolve(PACKAGE_ROOT, 'schemas');
