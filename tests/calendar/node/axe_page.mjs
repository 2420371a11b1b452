// Check a page with the axe accessibility engine in Debian's headless chromium.
// Usage: node axe_page.mjs CHROMIUM URL SCHEME... (each light or dark)
// Prints a JSON list, a result per scheme: the scheme the page saw, its errors, the rules
// that passed, those it could not decide, and the violations. The WCAG 2.x A and AA rules
// run, and axe's best practices (landmarks, regions, heading order) with them.
// playwright-core drives the given binary: no browser is fetched.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [binary, url, ...schemes] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"];

const browser = await chromium.launch({
  executablePath: binary,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const results = [];
  for (const scheme of schemes) {
    results.push(await check(scheme));
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}

async function check(scheme) {
  const context = await browser.newContext({ colorScheme: scheme, locale: "en-US" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(url, { waitUntil: "load" });
  // Evaluated through the devtools protocol, so the page's CSP does not stand in the way.
  await page.evaluate(axeSource);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
    TAGS,
  );
  const dark = await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await context.close();
  return {
    scheme: dark ? "dark" : "light",
    background,
    errors,
    passes: result.passes.map((rule) => rule.id),
    incomplete: result.incomplete.map((rule) => ({
      id: rule.id,
      nodes: rule.nodes.slice(0, 5).map((node) => node.target),
    })),
    violations: result.violations.map((rule) => ({
      id: rule.id,
      impact: rule.impact,
      help: rule.help,
      nodes: rule.nodes.slice(0, 5).map((node) => ({
        target: node.target,
        summary: node.failureSummary,
      })),
    })),
  };
}
