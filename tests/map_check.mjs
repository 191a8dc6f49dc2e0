// Drives a syllabus's large prerequisite map in headless Chromium as a
// reader would, for tests/test_html_map.py: screenshots at the default zoom
// and in the focus view, the size of a label as drawn, then Tab to a module,
// Enter, Escape, + and -, an arrow key, a click and an overview cell.
// Prints one JSON object of what it saw on stdout.
//
// Usage: node map_check.mjs --checkers DIR --chromium BIN --page PAGE.html --shots DIR
// DIR is the folder whose node_modules holds playwright-core.

import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const options = { checkers: ".checkers", chromium: "/usr/lib/chromium/chromium", page: null, shots: "." };
for (let i = 0; i < args.length; i += 2) options[args[i].replace(/^--/, "")] = args[i + 1];

const require = createRequire(join(resolve(options.checkers), "package.json"));
const { chromium } = require("playwright-core");

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
  await page.goto(pathToFileURL(resolve(options.page)).href, { waitUntil: "load" });

  // What the focus view shows: the selected module, how many are lit, and
  // the opacity of a lit module and of a faded one.
  const state = () => page.evaluate(() => {
    const figure = document.getElementById("path-map");
    const nodes = [...figure.querySelectorAll("a.node")];
    const faded = nodes.find((node) => !node.classList.contains("lit"));
    const lit = nodes.find((node) => node.classList.contains("lit"));
    const active = document.activeElement;
    return {
      focusView: figure.classList.contains("map-focus"),
      current: nodes.filter((node) => node.getAttribute("aria-current") === "true").map((n) => n.getAttribute("href")),
      lit: nodes.filter((node) => node.classList.contains("lit")).length,
      fadedOpacity: faded ? Number(getComputedStyle(faded).opacity) : null,
      litOpacity: lit ? Number(getComputedStyle(lit).opacity) : null,
      status: figure.querySelector(".map-status").textContent,
      active: active ? { tag: active.tagName, className: active.getAttribute("class"), href: active.getAttribute("href") } : null,
      viewBox: figure.querySelector("svg.map").getAttribute("viewBox"),
    };
  });

  await page.evaluate(() => document.getElementById("path-map").scrollIntoView());
  result.shot = join(options.shots, "map-default.png");
  await page.screenshot({ path: result.shot });
  result.default = await state();
  // The label of the first module in view, as drawn on screen.
  result.label = await page.evaluate(() => {
    const viewport = document.querySelector("#path-map .map-viewport").getBoundingClientRect();
    for (const text of document.querySelectorAll("#path-map a.node text")) {
      const box = text.getBoundingClientRect();
      if (box.top >= viewport.top && box.bottom <= viewport.bottom && box.left >= viewport.left && box.right <= viewport.right) {
        return { text: text.textContent, height: box.height, width: box.width, fontSize: getComputedStyle(text).fontSize };
      }
    }
    return null;
  });
  // Labels wider than their box, measured in the map's own units.
  result.overflowing = await page.evaluate(() => [...document.querySelectorAll("#path-map a.node")]
    .filter((node) => {
      const text = node.querySelector("text").getBBox(), box = node.querySelector("rect").getBBox();
      return text.x + text.width > box.x + box.width;
    })
    .map((node) => node.querySelector("text").textContent));
  result.tools = await page.evaluate(() => !document.querySelector("#path-map .map-tools").hidden);

  // Keyboard: from the last map button, Tab reaches a module; Enter selects it.
  await page.focus("#path-map [data-map=actual]");
  await page.keyboard.press("Tab");
  result.afterTab = await state();
  await page.keyboard.press("Enter");
  result.afterEnter = await state();
  result.focusShot = join(options.shots, "map-focus.png");
  await page.screenshot({ path: result.focusShot });
  await page.keyboard.press("Escape");
  result.afterEscape = await state();

  await page.keyboard.press("+");
  result.afterPlus = await state();
  await page.keyboard.press("-");
  await page.keyboard.press("-");
  result.afterMinus = await state();
  await page.keyboard.press("ArrowRight");
  result.afterArrow = await state();

  // The mouse: a click on a module selects it rather than leaving the page.
  await page.click("[data-map=actual]");
  const box = await page.evaluate(() => {
    const viewport = document.querySelector("#path-map .map-viewport").getBoundingClientRect();
    for (const rect of document.querySelectorAll("#path-map a.node rect")) {
      const box = rect.getBoundingClientRect();
      if (box.top >= viewport.top && box.bottom <= viewport.bottom && box.left >= viewport.left && box.right <= viewport.right) {
        return { x: box.x, y: box.y, width: box.width, height: box.height };
      }
    }
    return null;
  });
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  result.afterClick = await state();
  result.url = page.url();
  await page.click("[data-map=back]");
  result.afterBack = await state();

  const cell = page.locator(".map-overview a[data-level]").first();
  if (await cell.count()) {
    await cell.click();
    result.afterCell = await state();
    result.cellCount = Number(await cell.textContent());
  }
  result.errors = errors;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
