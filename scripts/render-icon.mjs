// Renders media/icon.png (128x128, the Marketplace icon) from the SVG below with headless Chromium.
// Run it only when the icon changes (`node scripts/render-icon.mjs`) and commit the PNG: packaging needs no tool.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const host = require('./lib/host.cjs');

// The activity-bar glyph (media/rabbitmq.svg) in white on an orange rounded square.
const glyph = readFileSync(new URL('../media/rabbitmq.svg', import.meta.url), 'utf8').match(/<path[^>]*\/>/)[0];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff7a1a"/><stop offset="1" stop-color="#e35d00"/></linearGradient></defs>
  <rect x="4" y="4" width="120" height="120" rx="24" fill="url(#g)"/>
  <g transform="translate(19 16) scale(3.75)" fill="#ffffff">${glyph}</g>
</svg>`;

const browser = await host.launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: new URL('../media/icon.png', import.meta.url).pathname, omitBackground: true });
  console.log('media/icon.png written');
} finally {
  await browser.close();
}
