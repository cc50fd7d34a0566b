// Test harness: starts the real `pulse` binary on a loopback port the OS picks with a fresh SQLite
// database, seeds it through the documented CLI, and drives Debian's Chromium through
// playwright-core. Nothing here downloads a browser.
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { before, after } = require("node:test");
const assert = require("node:assert/strict");
const { chromium } = require("playwright-core");
const PostalMime = require("postal-mime");

const ROOT = path.resolve(__dirname, "..", "..");
const PULSE_BIN = process.env.PULSE_BIN || path.join(ROOT, "target", "debug", "pulse");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "artifacts", "screenshots");
const PASSWORD = "correct horse battery staple";

/** Resolves with the address `pulse serve` prints once it listens (it binds port 0). */
function listeningAddress(child, logs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pulse did not start:\n${logs.join("")}`)), 30_000);
    let buffered = "";
    child.stdout.on("data", (d) => {
      buffered += d.toString();
      const match = buffered.match(/Pulse is listening on (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pulse exited with ${code}:\n${logs.join("")}`));
    });
  });
}

function seedAccounts(cli, apiEnabled) {
  cli("create-org", "--name", "Acme Consulting", "--slug", "acme", ...(apiEnabled ? ["--api-enabled"] : []));
  cli("create-org", "--name", "Globex", "--slug", "globex", "--api-enabled");
  cli("create-user", "--email", "staff@pulse.test", "--name", "Sam Staff", "--staff");
  cli("create-user", "--email", "owner@acme.test", "--name", "Olivia Owner", "--org", "acme", "--role", "owner");
  cli("create-user", "--email", "admin@acme.test", "--name", "Adam Admin", "--org", "acme", "--role", "admin");
  cli("create-user", "--email", "member@acme.test", "--name", "Mia Member", "--org", "acme", "--role", "member");
}

/**
 * A fresh server with: a staff user, organisation `acme` (API access off unless `apiEnabled`)
 * with an owner, an admin and a member, and organisation `globex` with API access on.
 * With `demo`, the database is instead filled by `pulse seed-demo` (accounts `…@acme.example`,
 * a year of feedback).
 */
async function startServer({ revealSeconds = 300, apiEnabled = false, demo = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-e2e-"));
  const env = {
    ...process.env,
    DATABASE_URL: path.join(dir, "pulse.db"),
    PULSE_BIND: "127.0.0.1:0",
    PULSE_PASSWORD: PASSWORD,
    PULSE_REVEAL_SECONDS: String(revealSeconds),
    RUST_LOG: process.env.RUST_LOG || "warn",
  };
  const cli = (...args) => execFileSync(PULSE_BIN, args, { env, stdio: "pipe" });
  if (demo) {
    cli("seed-demo");
  } else {
    seedAccounts(cli, apiEnabled);
  }

  const logs = [];
  const child = spawn(PULSE_BIN, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => logs.push(d.toString()));
  child.stderr.on("data", (d) => logs.push(d.toString()));
  const baseUrl = await listeningAddress(child, logs);
  const mailFolder = `${env.DATABASE_URL}.mail`;
  return {
    baseUrl,
    logs,
    /**
     * The message to `address` whose subject starts with `subject`, once the server's sender
     * has written it to the mail folder beside the database (no SMTP is configured), parsed.
     */
    async mailTo(address, subject, { timeoutMs = 20_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const files = fs.existsSync(mailFolder) ? fs.readdirSync(mailFolder).filter((f) => f.endsWith(".eml")).sort() : [];
        for (const file of files.reverse()) {
          const mail = await PostalMime.parse(fs.readFileSync(path.join(mailFolder, file)));
          if (mail.to.some((to) => to.address === address) && mail.subject.startsWith(subject)) return mail;
        }
        if (Date.now() > deadline) throw new Error(`no message "${subject}" to ${address} in ${mailFolder}: ${files.join(", ")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    /** Runs SQL on the server's SQLite file (the sqlite3 CLI), e.g. to back-date a row. */
    sql(statement) {
      return execFileSync("sqlite3", [env.DATABASE_URL, statement], { encoding: "utf8" });
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright already gives each launch a fresh temporary profile (--user-data-dir).
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A new browser context (own cookies) for `baseUrl`, optionally at phone width. */
async function newPage(browser, baseUrl, { phone = false } = {}) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: phone ? { width: 375, height: 740 } : { width: 1100, height: 800 },
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.problems = problems;
  return page;
}

/** RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret, as an authenticator app shows it. */
function totp(base32) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = require("node:crypto").createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/**
 * Recovery codes of the accounts this run enrolled, per server. A TOTP code signs in only once,
 * so sign-ins after the enrolling one use a recovery code each instead of waiting for the next.
 */
const recoveryCodes = new Map();

const leftSignIn = (url) => !url.pathname.startsWith("/login");

/** Signs in; staff (who need a second factor) enrol an authenticator the first time. */
async function signIn(page, email) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await Promise.all([page.waitForURL((url) => url.pathname !== "/login"), page.getByRole("button", { name: "Sign in" }).click()]);
  const url = new URL(page.url());
  if (url.pathname !== "/login/two-factor") return;
  const account = `${url.origin} ${email}`;
  const saved = recoveryCodes.get(account);
  if (saved) {
    await page.locator("#code").fill(saved.shift());
    await Promise.all([page.waitForURL(leftSignIn), page.getByRole("button", { name: "Verify" }).click()]);
    return;
  }
  // The key is shown in groups of four; authenticator apps ignore the spaces.
  const secret = (await page.locator("p.muted code").textContent()).replace(/\s+/g, "");
  await page.locator("#code").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
  await page.locator(".recovery-codes").waitFor();
  const codes = (await page.locator(".recovery-codes code").textContent()).split("\n").filter(Boolean);
  recoveryCodes.set(account, codes);
  await Promise.all([page.waitForURL(leftSignIn), page.getByRole("link", { name: "Continue" }).click()]);
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core inside the page and returns serious/critical violations as readable lines.
 * Injected through the DevTools protocol, so the page's strict CSP does not block it.
 */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
  );
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Fails unless axe finds no serious or critical violation on the page. */
async function assertAccessible(page) {
  assert.deepEqual(await axeViolations(page), [], `axe violations on ${page.url()}`);
}

/** Fails if the page is wider than the viewport (it would scroll sideways). */
async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${page.url()} scrolls sideways by ${overflow}px`);
}

/**
 * A fresh server (`startServer(options)`) and browser for the tests of one `describe` block,
 * stopped after them. `ready(suite)` runs once both are up, e.g. to sign someone in.
 */
function suite(options = {}, ready = async () => {}) {
  const state = {};
  before(async () => {
    state.server = await startServer(options);
    state.browser = await launchBrowser();
    await ready(state);
  });
  after(async () => {
    await state.browser?.close();
    await state.server?.stop();
  });
  return state;
}

module.exports = {
  PASSWORD,
  suite,
  startServer,
  launchBrowser,
  newPage,
  signIn,
  totp,
  screenshot,
  axeViolations,
  assertAccessible,
  noSidewaysScroll,
};
