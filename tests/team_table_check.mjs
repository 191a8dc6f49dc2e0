// Drives a large team overview's people table (templates/team_table.js) in
// headless Chromium by keyboard only, for tests/test_html_quality.py: Tab to
// the filter box and type, then Tab to a column heading and press Enter,
// twice. Prints one JSON object on stdout with what the page showed after
// each step; the test decides what is right.
//
// Usage: node team_table_check.mjs --checkers DIR --chromium BIN
//        --filter TEXT --sort HEADING PAGE.html
// DIR is the folder whose node_modules holds playwright-core.

import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const options = { checkers: ".checkers", chromium: "/usr/lib/chromium/chromium", filter: "", sort: "" };
let file = null;
for (let i = 0; i < args.length; i++) {
  const name = args[i].startsWith("--") ? args[i].slice(2) : null;
  if (name && name in options) options[name] = args[++i];
  else file = args[i];
}

const require = createRequire(join(resolve(options.checkers), "package.json"));
const { chromium } = require("playwright-core");

const MAX_TABS = 1000;

// Each row as the page shows it: its cells' text, and whether it is hidden.
const readRows = (page) => page.evaluate(() =>
  Array.from(document.querySelectorAll("#people tbody tr"), (row) => ({
    cells: Array.from(row.cells, (cell) => cell.textContent.trim()),
    hidden: row.hidden || row.offsetParent === null,
  })));

const state = (page) => page.evaluate(() => ({
  focused: document.activeElement === document.body ? null
    : document.activeElement.id || document.activeElement.textContent.trim(),
  status: document.querySelector(".table-tools [role=status]")?.textContent ?? null,
  sort: Array.from(document.querySelectorAll("#people thead th"), (th) => th.getAttribute("aria-sort")),
}));

// Presses Tab until `reached(argument)` holds in the page; the number of presses, or null.
async function tabTo(page, reached, argument) {
  for (let presses = 1; presses <= MAX_TABS; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(reached, argument)) return presses;
  }
  return null;
}

const browser = await chromium.launch({
  executablePath: options.chromium,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
  result.headings = await page.evaluate(() =>
    Array.from(document.querySelectorAll("#people thead th"), (th) => th.textContent.trim()));
  result.loaded = { rows: await readRows(page), ...(await state(page)) };

  result.tabs_to_filter = await tabTo(page, () => document.activeElement?.id === "people-filter");
  await page.keyboard.type(options.filter);
  result.filtered = { rows: await readRows(page), ...(await state(page)) };

  // Clear the box again by keyboard, then on to the heading.
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  result.cleared = { rows: await readRows(page), ...(await state(page)) };
  result.tabs_to_heading = await tabTo(page, (heading) => document.activeElement?.tagName === "BUTTON"
    && document.activeElement.closest("#people thead") !== null
    && document.activeElement.textContent.trim() === heading, options.sort);
  await page.keyboard.press("Enter");
  result.sorted = { rows: await readRows(page), ...(await state(page)) };
  await page.keyboard.press("Enter");
  result.reversed = { rows: await readRows(page), ...(await state(page)) };
  result.errors = errors;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
