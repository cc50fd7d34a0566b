// The token's whole life in a browser: grace period and End now, Revoke through its
// confirmation, expiry (card, banner, expired), a leak report's red banner, the sudo prompt,
// and the staff support view. Screenshots of every state go to artifacts/screenshots/.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");
const { whoami, reportLeak } = require("../lib/api");

const { assertAccessible, noSidewaysScroll } = h;

const field = (page) => page.locator("#api-token");
const SCREEN = "/orgs/acme/settings/api";

async function generate(page, expiry = "Never") {
  await page.goto(SCREEN);
  await page.getByLabel("Expires").selectOption({ label: expiry });
  await page.getByRole("button", { name: "Generate token" }).click();
  await page.getByRole("button", { name: "Copy" }).waitFor();
  return field(page).inputValue();
}

async function regenerate(page, grace) {
  await page.goto(SCREEN);
  await page.getByRole("link", { name: /Regenerate token/ }).click();
  await page.getByLabel("Keep the current token working for").selectOption({ label: grace });
  await page.getByRole("button", { name: "Regenerate token" }).click();
  await page.getByRole("button", { name: "Copy" }).waitFor();
  return field(page).inputValue();
}

describe("token lifecycle", () => {
  const s = h.suite({ apiEnabled: true }, async (s) => {
    s.owner = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(s.owner, "owner@acme.test");
  });

  test("a grace period keeps the old token working until End now", async () => {
    const first = await generate(s.owner);
    const second = await regenerate(s.owner, "1 hour");
    assert.equal(await whoami(s.server.baseUrl, first), 200, "in its grace period");
    await s.owner.goto(SCREEN);
    const grace = s.owner.locator(".grace");
    assert.match(await grace.textContent(), new RegExp(`${first.slice(0, 10)}… keeps working until`));
    await h.screenshot(s.owner, "grace-period");
    await assertAccessible(s.owner);
    // End now asks first, naming the old token and who still uses it.
    await grace.getByRole("link", { name: "End now…" }).click();
    await s.owner.getByRole("heading", { name: "End the grace period now?" }).waitFor();
    await s.owner.getByRole("heading", { name: "Who still uses it" }).waitFor();
    assert.ok((await s.owner.content()).includes(`${first.slice(0, 10)}…`), "the review names the old token");
    assert.equal(await whoami(s.server.baseUrl, first), 200, "the review acts on nothing");
    await h.screenshot(s.owner, "end-grace-review");
    await assertAccessible(s.owner);
    await s.owner.setViewportSize({ width: 390, height: 844 });
    await h.screenshot(s.owner, "end-grace-review-phone");
    await assertAccessible(s.owner);
    await s.owner.setViewportSize({ width: 1280, height: 800 });
    await s.owner.getByRole("button", { name: "End the grace period" }).click();
    await s.owner.getByText("The previous token's grace period has ended").waitFor();
    assert.equal(await field(s.owner).inputValue(), second, "the new token is still shown");
    assert.equal(await whoami(s.server.baseUrl, first), 401);
    assert.equal(await whoami(s.server.baseUrl, second), 200);
    await h.screenshot(s.owner, "grace-ended");
  });

  test("Revoke names the token and who uses it, then leaves the field blank", async () => {
    await s.owner.goto(SCREEN);
    const current = (await field(s.owner).inputValue()).replace(/…$/, "");
    await s.owner.getByRole("link", { name: /Revoke token/ }).click();
    await s.owner.getByRole("heading", { name: "Revoke the API token?" }).waitFor();
    const page = await s.owner.locator("main").textContent();
    assert.ok(page.includes(current), "the confirmation names the prefix");
    assert.match(page, /stops working at once/);
    assert.match(page, /pulse-e2e/, "and who uses it");
    await h.screenshot(s.owner, "revoke-confirmation");
    await assertAccessible(s.owner);
    await s.owner.getByRole("button", { name: "Revoke token" }).click();
    await s.owner.getByText("The token was revoked").waitFor();
    assert.equal(await field(s.owner).inputValue(), "");
    await s.owner.getByRole("button", { name: "Generate token" }).waitFor();
    await h.screenshot(s.owner, "revoked");
    await assertAccessible(s.owner);
  });

  test("an expiring token: the card, the banner on the organisation's pages, then expired", async () => {
    const token = await generate(s.owner, "In 30 days");
    await s.owner.getByText(/Expires on/).waitFor();
    await h.screenshot(s.owner, "expires");
    // Back-date the expiry into the 14-day warning, then past it.
    s.server.sql("UPDATE api_tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '+10 days') WHERE superseded_at IS NULL");
    await s.owner.goto("/orgs/acme");
    await s.owner.locator(".banner").getByText(/expires on/).waitFor();
    // The banner's text starts where the page's heading does.
    const bannerLeft = await s.owner.locator(".banner").evaluate((b) => b.getBoundingClientRect().left + parseFloat(getComputedStyle(b).paddingLeft));
    const headingLeft = await s.owner.locator("main h1").evaluate((h) => h.getBoundingClientRect().left);
    assert.ok(Math.abs(bannerLeft - headingLeft) <= 1, `banner text at ${bannerLeft}px, heading at ${headingLeft}px`);
    await h.screenshot(s.owner, "expiry-banner");
    await assertAccessible(s.owner);
    s.server.sql("UPDATE api_tokens SET expires_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 days') WHERE superseded_at IS NULL");
    assert.equal(await whoami(s.server.baseUrl, token), 401);
    await s.owner.goto(SCREEN);
    await s.owner.getByText(/Expired on/).waitFor();
    await s.owner.getByText(/This token has expired/).waitFor();
    await h.screenshot(s.owner, "expired");
    await assertAccessible(s.owner);
    await regenerate(s.owner, "No grace period: stop it now");
  });

  test("a token reported exposed is revoked and the screen says so in red", async () => {
    await s.owner.goto(SCREEN);
    await s.owner.getByRole("link", { name: /Revoke token/ }).click();
    await s.owner.getByRole("button", { name: "Revoke token" }).click();
    const token = await generate(s.owner);
    const verdict = await reportLeak(s.server.baseUrl, token, "https://github.com/acme/reports/blob/main/refresh.py");
    assert.equal(verdict[0].label, "true_positive");
    assert.equal(await whoami(s.server.baseUrl, token), 401);
    await s.owner.goto(SCREEN);
    await s.owner.getByRole("heading", { name: "Your API token was found in public" }).waitFor();
    await s.owner.getByText(/reported exposed at https:\/\/github.com\/acme/).first().waitFor();
    await h.screenshot(s.owner, "token-exposed");
    await assertAccessible(s.owner);
    await s.owner.setViewportSize({ width: 375, height: 740 });
    await noSidewaysScroll(s.owner);
    await h.screenshot(s.owner, "token-exposed-phone");
    await s.owner.setViewportSize({ width: 1100, height: 800 });
  });

  test("staff see the organisation's token state read-only, on desktop and phone", async () => {
    const staff = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(staff, "staff@pulse.test");
    assert.ok(staff.url().endsWith("/staff/orgs"), "staff land on the console");
    await staff.getByRole("link", { name: "Acme Consulting" }).click();
    await staff.getByRole("heading", { name: /Acme Consulting/, level: 1 }).waitFor();
    await staff.getByRole("heading", { name: "History" }).waitFor();
    assert.equal(await staff.getByRole("button", { name: /Revoke|Regenerate|Generate|Reveal/ }).count(), 0);
    await h.screenshot(staff, "staff-support-view");
    await assertAccessible(staff);
    await staff.setViewportSize({ width: 375, height: 740 });
    await noSidewaysScroll(staff);
    await h.screenshot(staff, "staff-support-view-phone");
    await staff.context().close();
  });
});

describe("sudo mode", () => {
  const s = h.suite({ apiEnabled: true });

  test("Generate asks for the password again, then carries the action out", async () => {
    const owner = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(owner, "owner@acme.test");
    // Back-date the moment the password was entered: as if the sign-in was long ago.
    s.server.sql("UPDATE sessions SET state = json_set(state, '$.password_confirmed_at', '0')");
    await owner.goto(SCREEN);
    await owner.getByLabel("Expires").selectOption({ label: "In 90 days" });
    await owner.getByRole("button", { name: "Generate token" }).click();
    await owner.getByRole("heading", { name: "Confirm your password" }).waitFor();
    await h.screenshot(owner, "sudo-prompt");
    await assertAccessible(owner);
    await owner.getByLabel("Password", { exact: true }).fill("not the password");
    await owner.getByRole("button", { name: "Confirm and generate the token" }).click();
    await owner.getByText("The password is incorrect.").waitFor();
    await h.screenshot(owner, "sudo-prompt-wrong-password");
    // The browser logs the expected 400 of the wrong password; nothing else may go wrong.
    owner.problems.length = 0;
    await owner.getByLabel("Password", { exact: true }).fill(h.PASSWORD);
    await owner.getByRole("button", { name: "Confirm and generate the token" }).click();
    await owner.getByRole("button", { name: "Copy" }).waitFor();
    await owner.getByText(/Expires on/).waitFor();
    assert.equal(await whoami(s.server.baseUrl, await field(owner).inputValue()), 200);
    assert.deepEqual(owner.problems, []);
  });
});
