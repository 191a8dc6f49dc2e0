// Mermaid rendering check for generated Markdown, run by tests/test_mermaid.py.
//
// Reads a JSON array of Mermaid diagram texts on stdin, renders each with the
// mermaid npm package (its dist/mermaid.min.js, default configuration, so
// default limits) in one headless Chromium page (playwright-core, driving
// the system's Chromium), and prints a JSON array on stdout: for each text,
// null when it rendered, else the error message.
//
// Usage: node mermaid_check.mjs --checkers DIR --chromium BIN < diagrams.json
// DIR is the folder whose node_modules holds playwright-core and mermaid.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const options = { checkers: ".checkers", chromium: "/usr/lib/chromium/chromium" };
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith("--") ? args[i].slice(2) : null;
  if (name && name in options) options[name] = args[++i];
  else throw new Error(`unknown argument ${args[i]}`);
}

const require = createRequire(join(resolve(options.checkers), "package.json"));
const { chromium } = require("playwright-core");
const mermaidPath = require.resolve("mermaid/dist/mermaid.min.js");
const diagrams = JSON.parse(readFileSync(0, "utf8"));

const browser = await chromium.launch({
  executablePath: options.chromium,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
let errors;
try {
  const page = await browser.newPage();
  await page.setContent("<!doctype html><html><head><title>mermaid</title></head><body></body></html>");
  await page.addScriptTag({ path: mermaidPath });
  errors = await page.evaluate(async (texts) => {
    window.mermaid.initialize({ startOnLoad: false });
    const found = [];
    for (const [index, text] of texts.entries()) {
      const id = `diagram${index}`;
      try {
        const { svg } = await window.mermaid.render(id, text);
        // Beyond maxTextSize Mermaid draws a message instead of throwing.
        found.push(svg.includes("Maximum text size in diagram exceeded")
          ? "Maximum text size in diagram exceeded" : null);
      } catch (error) {
        found.push(String(error && error.message ? error.message : error));
      }
      // A failed render can leave its scratch element behind.
      document.getElementById(`d${id}`)?.remove();
    }
    return found;
  }, diagrams);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(errors));
