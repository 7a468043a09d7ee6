import { chromium, type Browser } from 'playwright-core';

/** The machine's Chromium (npm run test:setup installs it); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium as every browser test runs it: no sandbox (root in CI), no GPU, no background network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}
