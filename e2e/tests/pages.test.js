// Every other signed-in page, on the demo data (`pulse seed-demo`): each passes axe-core, has no
// console errors and does not scroll sideways at phone width.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

const PAGES = [
  ["owner@acme.example", "/", "home"],
  ["owner@acme.example", "/orgs/acme", "org-home"],
  ["owner@acme.example", "/orgs/acme/analytics", "analytics"],
  ["owner@acme.example", "/orgs/acme/import", "import-feedback"],
  ["owner@acme.example", "/orgs/acme/api-docs", "api-docs"],
  ["owner@acme.example", "/orgs/acme/connect", "connect-reports"],
  ["owner@acme.example", "/account", "account-sessions"],
  ["owner@acme.example", "/account/password", "change-password"],
  ["owner@acme.example", "/orgs/acme/settings/members", "members-owner"],
  ["admin@acme.example", "/orgs/acme/settings/members", "members-admin"],
  ["member@acme.example", "/orgs/acme", "org-home-member"],
  ["staff@pulse.example", "/staff/orgs", "staff-console-demo"],
  ["staff@pulse.example", "/staff/mail", "staff-outbox"],
  ["staff@pulse.example", "/staff/orgs/acme", "staff-support-members"],
  ["owner@acme.example", "/forgot-password", "forgot-password-signed-in"],
];

describe("demo data pages", () => {
  const s = h.suite({ demo: true });

  for (const [email, url, name] of PAGES) {
    test(`${name} (${url} as ${email})`, async () => {
      for (const phone of [false, true]) {
        const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
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

  test("every snippet on the Connect page has a Copy button that copies exactly its code", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "owner@acme.example");
    await page.goto("/orgs/acme/connect");
    const snippets = page.locator("div.snippet");
    const count = await snippets.count();
    assert.ok(count >= 5, `${count} snippets`);
    const labels = new Set();
    for (let i = 0; i < count; i++) {
      const snippet = snippets.nth(i);
      const button = snippet.locator("[data-copy-snippet]");
      // Each Copy button says what it copies: no two alike.
      const label = await button.getAttribute("aria-label");
      assert.ok(label && !labels.has(label), `snippet ${i}: ${label}`);
      labels.add(label);
      await button.click();
      await snippet.locator("[data-copy-snippet]").filter({ hasText: "Copied" }).waitFor();
      const code = await snippet.locator("pre code").textContent();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
      assert.ok(code.includes(s.server.baseUrl), `snippet ${i} names this server`);
    }
    await h.screenshot(page, "connect-reports-copied");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
