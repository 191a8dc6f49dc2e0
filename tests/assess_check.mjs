// Drives the static site's self-assessment pages (templates/site/assess.js)
// for tests/test_assess_web.py. Prints one JSON object on stdout; the test
// decides what is right.
//
// node assess_check.mjs arithmetic --script ASSESS_JS --input FILE
//     Loads assess.js in Node (where it exports its functions) and, for
//     FILE's {"math": {"exp": [x, ...], ...}, "quizzes": [{"data": ...,
//     "states": [[[module, yes], ...], ...]}]}, prints each function's
//     values and each state's candidate scores and placement.
//
// node assess_check.mjs browser --checkers DIR --chromium BIN --spec FILE
//     Opens each page of FILE's {"pages": [{"page": PATH, "learners":
//     [...]}], "no_script": PATH} in headless Chromium and answers as each
//     learner would, by keyboard only, many learners a page (Start again
//     between them). A learner is {"yes": [id, ...], "unsure": [id, ...]}
//     (y for a module in yes, s in unsure, else n), and optionally
//     "wrong_at": k (answer question k the other way first, then Tab to
//     Back and press Enter), "back_at_end": true (press b on the result
//     and answer the last question again), "download": true (Tab to the
//     copy button and press Enter, then to the download link and press
//     Enter). With "audit": true a page's first question and first result
//     are each run through axe-core and kept as markup (for the Nu checker).
//     DIR's node_modules holds playwright-core and axe-core.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [mode, ...args] = process.argv.slice(2);
const options = { checkers: ".checkers", chromium: "/usr/lib/chromium/chromium", spec: null, script: null, input: null };
for (let i = 0; i < args.length; i += 2) {
  options[args[i].replace(/^--/, "")] = args[i + 1];
}

// JSON has no infinities or NaN: they travel as strings.
const number = (x) => (Number.isFinite(x) ? x : String(x));

function arithmetic() {
  const assess = createRequire(import.meta.url)(resolve(options.script));
  const input = JSON.parse(readFileSync(options.input, "utf8"));
  const math = {};
  for (const [name, values] of Object.entries(input.math)) {
    math[name] = values.map((x) => number(assess[name](x)));
  }
  const quizzes = input.quizzes.map((entry) => {
    const quiz = assess.questionnaire(entry.data);
    const milliseconds = [];
    const states = entry.states.map((state) => {
      const answers = state.map(([module, yes]) => ({ module, yes }));
      const started = performance.now();
      const next = quiz.nextQuestion(answers);
      milliseconds.push(performance.now() - started);
      const placed = quiz.placement(answers);
      return { scores: quiz.candidateScores(answers), next, knows: placed.knows, snippet: placed.snippet };
    });
    return { states, milliseconds };
  });
  return { math, quizzes };
}

const TAB_LIMIT = 50;

let axeSource = null;

async function browser() {
  const require = createRequire(join(resolve(options.checkers), "package.json"));
  const { chromium } = require("playwright-core");
  axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const spec = JSON.parse(readFileSync(options.spec, "utf8"));
  const launched = await chromium.launch({
    executablePath: options.chromium,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const result = { pages: [], no_script: null };
  try {
    const context = await launched.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    for (const entry of spec.pages) {
      result.pages.push(await drivePage(context, entry));
    }
    if (spec.no_script) {
      const bare = await launched.newContext({ javaScriptEnabled: false });
      const page = await bare.newPage();
      await page.goto(pathToFileURL(resolve(spec.no_script)).href, { waitUntil: "load" });
      result.no_script = await page.evaluate(() => document.body.innerText);
      await bare.close();
    }
  } finally {
    await launched.close();
  }
  return result;
}

// What the page shows now.
const state = (page) => page.evaluate(() => {
  const shown = document.querySelector(".assess-module:not([hidden])");
  const active = document.activeElement;
  return {
    module: shown && !document.getElementById("assess-questions").hidden ? shown.dataset.module : null,
    progress: document.getElementById("assess-progress").textContent,
    title: document.getElementById("assess-question-title").textContent,
    live: document.getElementById("assess-question-title").closest("[aria-live]") !== null,
    result: !document.getElementById("assess-result").hidden,
    focused: active === document.body ? null : active.id || active.textContent.trim(),
    back_disabled: document.getElementById("assess-back").disabled,
  };
});

const resultShown = (page) => page.evaluate(() => ({
  knows: document.getElementById("assess-knows").textContent,
  snippet: document.getElementById("assess-snippet").textContent,
  summary: document.getElementById("assess-summary").textContent,
  command: document.getElementById("assess-command").textContent,
  focused: document.activeElement.id,
}));

// axe-core's violations on the page as it is now, and its markup.
async function audit(page) {
  const violations = await page.evaluate(async (source) => {
    if (!window.axe) {
      // Injected as a script element: the page's own scripts are untouched.
      const script = document.createElement("script");
      script.textContent = source;
      document.head.appendChild(script);
      script.remove();
    }
    const found = await window.axe.run(document, { resultTypes: ["violations"] });
    return found.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html.slice(0, 200)),
    }));
  }, axeSource);
  const markup = await page.evaluate(() => "<!DOCTYPE html>\n" + document.documentElement.outerHTML);
  return { violations, markup };
}

// Presses Tab until the focused element is `id`; the presses, or null.
async function tabTo(page, id) {
  for (let presses = 1; presses <= TAB_LIMIT; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((wanted) => document.activeElement.id === wanted, id)) return presses;
  }
  return null;
}

async function drivePage(context, entry) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  await page.goto(pathToFileURL(resolve(entry.page)).href, { waitUntil: "load" });
  const report = { page: entry.page, first: await state(page), learners: [], errors, milliseconds: [], audits: [] };
  if (entry.audit) report.audits.push(await audit(page));
  for (const [number, learner] of entry.learners.entries()) {
    const yes = new Set(learner.yes), unsure = new Set(learner.unsure || []);
    const key = (module) => (yes.has(module) ? "y" : unsure.has(module) ? "s" : "n");
    const run = { asked: [], progress: [], back_to: null, back_focus: null, end_back_to: null, download: null };
    let now = await state(page);
    while (!now.result) {
      if (run.asked.length === learner.wrong_at && run.back_to === null) {
        await page.keyboard.press(key(now.module) === "y" ? "n" : "y");
        const presses = await tabTo(page, "assess-back");
        await page.keyboard.press("Enter");
        const after = await state(page);
        run.back_to = presses === null ? null : after.module;
        run.back_focus = after.focused;
        now = after;
        continue;
      }
      run.asked.push(now.module);
      run.progress.push(now.progress);
      const started = performance.now();
      await page.keyboard.press(key(now.module));
      now = await state(page);
      report.milliseconds.push(performance.now() - started);
    }
    if (learner.back_at_end) {
      await page.keyboard.press("b");
      const again = await state(page);
      run.end_back_to = again.module;
      run.end_back_focus = again.focused;
      await page.keyboard.press(key(again.module));
      now = await state(page);
    }
    Object.assign(run, await resultShown(page));
    if (entry.audit && number === 0) report.audits.push(await audit(page));
    if (learner.download && run.knows) {
      await tabTo(page, "assess-copy");
      await page.keyboard.press("Enter");
      await page.waitForTimeout(100); // the clipboard answers asynchronously
      run.copy = await page.evaluate(() => ({
        selected: window.getSelection().toString(),
        status: document.getElementById("assess-copied").textContent,
      }));
    }
    if (learner.download) {
      const presses = await tabTo(page, "assess-download");
      if (presses !== null) {
        const download = page.waitForEvent("download");
        await page.keyboard.press("Enter");
        const file = await download;
        run.download = { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
      }
    }
    if (number < entry.learners.length - 1) {
      run.restart_presses = await tabTo(page, "assess-restart");
      await page.keyboard.press("Enter");
      run.restart_focus = (await state(page)).focused;
    }
    report.learners.push(run);
  }
  await page.close();
  return report;
}

const output = mode === "arithmetic" ? arithmetic() : await browser();
process.stdout.write(JSON.stringify(output));
