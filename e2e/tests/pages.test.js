// Every other signed-in page, on the demo data (`pulse seed-demo`): each passes axe-core, has no
// console errors and does not scroll sideways at phone width.
"use strict";
const { describe, before, after, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

const PAGES = [
  ["owner@acme.example", "/", "home"],
  ["owner@acme.example", "/orgs/acme", "org-home"],
  ["owner@acme.example", "/orgs/acme/analytics", "analytics"],
  ["owner@acme.example", "/orgs/acme/import", "import-feedback"],
  ["owner@acme.example", "/orgs/acme/api-docs", "api-docs"],
  ["owner@acme.example", "/account", "account-sessions"],
  ["owner@acme.example", "/account/password", "change-password"],
  ["member@acme.example", "/orgs/acme", "org-home-member"],
  ["staff@pulse.example", "/staff/orgs", "staff-console-demo"],
];

describe("demo data pages", () => {
  let server;
  let browser;
  before(async () => {
    server = await h.startServer({ demo: true });
    browser = await h.launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [email, url, name] of PAGES) {
    test(`${name} (${url} as ${email})`, async () => {
      for (const phone of [false, true]) {
        const page = await h.newPage(browser, server.baseUrl, { phone });
        await h.signIn(page, email);
        const response = await page.goto(url);
        assert.equal(response.status(), 200);
        await h.screenshot(page, phone ? `${name}-phone` : name);
        assert.deepEqual(await h.axeViolations(page), [], `axe violations on ${url}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${url} scrolls sideways by ${overflow}px at ${phone ? "phone" : "desktop"} width`);
        assert.deepEqual(page.problems, []);
        await page.context().close();
      }
    });
  }
});
