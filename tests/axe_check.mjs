// Accessibility check for generated pages, run by tests/test_html_quality.py.
//
// Loads each HTML file from file:// in headless Chromium (playwright-core,
// driving the system's Chromium), injects axe-core and runs axe.run() on it.
// Prints one JSON object on stdout: {"pages": {path: [violation, ...]},
// "screenshot": {...} or null}. With --screenshot OUT.png --page PATH it also
// saves a screenshot of the viewport of that page.
//
// Usage: node axe_check.mjs --checkers DIR --chromium BIN
//        [--screenshot OUT.png --page PAGE.html] PAGE.html ...
// DIR is the folder whose node_modules holds playwright-core and axe-core.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const options = { checkers: ".checkers", chromium: "/usr/lib/chromium/chromium", screenshot: null, page: null };
const pages = [];
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith("--") ? args[i].slice(2) : null;
  if (name && name in options) options[name] = args[++i];
  else pages.push(args[i]);
}

const require = createRequire(join(resolve(options.checkers), "package.json"));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const VIEWPORT = { width: 1280, height: 800 };

const browser = await chromium.launch({
  executablePath: options.chromium,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
const result = { pages: {}, screenshot: null };
try {
  const context = await browser.newContext({ viewport: VIEWPORT });
  // axe-core is injected into every page the context loads.
  await context.addInitScript({ content: axeSource });
  const queue = [...pages];
  // Two tabs at a time: axe.run is CPU-bound and CI has two cores.
  const workers = Array.from({ length: Math.min(Number(process.env.AXE_TABS || 2), queue.length) }, async () => {
    const page = await context.newPage();
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
      result.pages[file] = await page.evaluate(async () => {
        const found = await window.axe.run(document, { resultTypes: ["violations"] });
        return found.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary, html: n.html.slice(0, 200) })),
        }));
      });
    }
    await page.close();
  });
  await Promise.all(workers);
  if (options.screenshot && options.page) {
    const page = await context.newPage();
    await page.goto(pathToFileURL(resolve(options.page)).href, { waitUntil: "load" });
    await page.screenshot({ path: options.screenshot, fullPage: false });
    result.screenshot = { path: options.screenshot, page: options.page, viewport: VIEWPORT };
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
