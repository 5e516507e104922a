/**
 * Headless Debian chromium for the report tests, driven by puppeteer-core (no browser download).
 * When chromium is missing it is installed the way src/setup/ensure-env.sh does (apt-get, as root
 * only); without root the browser tests are skipped with that reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function find(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env) return existsSync(env) ? env : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export interface ChromiumInfo {
  path?: string;
  /** Why there is no browser. */
  reason?: string;
  /** Seconds spent installing it (0 when it was there). */
  installSeconds: number;
}

export function ensureChromium(): ChromiumInfo {
  const found = find();
  if (found) return { path: found, installSeconds: 0 };
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get'))
    return { reason: 'chromium is not installed and this user cannot install it (run as root, or: sudo apt-get install -y chromium)', installSeconds: 0 };
  const t0 = performance.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Same commands as src/setup/ensure-env.sh.
  execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 600_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-liberation'], { env, stdio: 'ignore', timeout: 900_000 });
  const path = find();
  return path ? { path, installSeconds: (performance.now() - t0) / 1000 } : { reason: 'apt-get install chromium did not provide /usr/bin/chromium', installSeconds: 0 };
}

/** Launch flags for root in a container. */
export const LAUNCH_ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--metrics-recording-only', '--mute-audio', '--font-render-hinting=none'];
