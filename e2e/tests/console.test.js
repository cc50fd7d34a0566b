// Staff console, organisation navigation by role, keyboard-only sign-in, accessibility and
// phone width, on the screens that exist without an API token.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

describe("console screens", () => {
  const s = h.suite();

  async function assertAccessible(page) {
    assert.deepEqual(await h.axeViolations(page), [], `axe violations on ${page.url()}`);
  }

  test("sign-in page is accessible and fits a phone", async () => {
    for (const phone of [false, true]) {
      const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
      await page.goto("/login");
      await h.screenshot(page, phone ? "sign-in-phone" : "sign-in");
      await assertAccessible(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `horizontal scroll of ${overflow}px at ${phone ? "phone" : "desktop"} width`);
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  });

  test("keyboard only: Tab reaches email, password and the button with a visible focus ring, Enter signs in", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await page.goto("/login");
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {
          label: el.id || el.textContent.trim(),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        };
      });
    const order = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      const f = await focused();
      assert.ok(f.outline, `no visible focus ring on ${f.label}`);
      order.push(f.label);
      if (f.label === "Sign in") break;
    }
    // The form fields come in reading order after the site header's links.
    const fields = order.filter((l) => ["email", "password", "Sign in"].includes(l));
    assert.deepEqual(fields, ["email", "password", "Sign in"], `focus order was ${order.join(" → ")}`);

    await page.getByLabel("Email").focus();
    await page.keyboard.type("owner@acme.test");
    await page.keyboard.press("Tab");
    assert.equal((await focused()).label, "password");
    await page.keyboard.type(h.PASSWORD);
    await h.screenshot(page, "sign-in-keyboard-focus");
    await Promise.all([page.waitForURL((u) => u.pathname === "/"), page.keyboard.press("Enter")]);
    await assert.doesNotReject(page.getByRole("heading", { name: "Your organisations" }).waitFor());
    await page.context().close();
  });

  test("a wrong password shows an accessible error and keeps the email", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await page.goto("/login");
    await page.getByLabel("Email").fill("owner@acme.test");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.equal(await page.getByLabel("Email").inputValue(), "owner@acme.test");
    await h.screenshot(page, "sign-in-error");
    await assertAccessible(page);
    await page.context().close();
  });

  test("staff signs in and enables API access for an organisation", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "staff@pulse.test");
    await page.getByRole("link", { name: "Staff console" }).click();
    await page.getByRole("heading", { level: 1 }).waitFor();
    const acmeRow = page.getByRole("row").filter({ hasText: "Acme Consulting" });
    assert.equal(await acmeRow.getByText("Disabled").count(), 1);
    await h.screenshot(page, "staff-console-before");
    await assertAccessible(page);

    await acmeRow.getByRole("button", { name: "Enable API access for Acme Consulting" }).click();
    // The organisation's support view says what was done.
    await page.getByText("API access switched on").waitFor();
    await page.getByRole("link", { name: "Staff console" }).first().click();
    await acmeRow.getByText("Enabled").waitFor();
    assert.equal(await acmeRow.getByRole("button", { name: "Disable API access… for Acme Consulting" }).count(), 1);
    await h.screenshot(page, "staff-console");
    await assertAccessible(page);

    await page.setViewportSize({ width: 375, height: 740 });
    await h.screenshot(page, "staff-console-phone");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `staff console scrolls sideways by ${overflow}px on a phone`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("owner reaches Organisation settings → API authentication", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "owner@acme.test");
    await page.getByRole("link", { name: "Acme Consulting" }).click();
    await page.getByRole("heading", { name: "Acme Consulting", level: 1 }).waitFor();
    await h.screenshot(page, "org-home-owner");
    await assertAccessible(page);
    await page.getByRole("link", { name: "Organisation settings" }).click();
    await page.getByRole("heading", { name: "Organisation settings" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "API authentication" }).count(), 1);
    await h.screenshot(page, "org-settings");
    await assertAccessible(page);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("a member sees no settings link and gets 403 by URL", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "member@acme.test");
    await page.goto("/orgs/acme");
    await page.getByRole("heading", { name: "Acme Consulting", level: 1 }).waitFor();
    assert.equal(await page.getByRole("link", { name: /settings/i }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "API authentication" }).count(), 0);
    await assertAccessible(page);
    const response = await page.goto("/orgs/acme/settings");
    assert.equal(response.status(), 403);
    await h.screenshot(page, "forbidden");
    await assertAccessible(page);
    await page.context().close();
  });
});
