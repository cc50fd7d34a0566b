// The API authentication screen as owners, admins and members use it: generate, copy,
// reveal/hide, regenerate through the confirmation step, API disabled by staff.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");
const { whoami } = require("../lib/api");

const TOKEN = /^pulse_[0-9A-Za-z]{40,}$/;

async function assertAccessible(page) {
  assert.deepEqual(await h.axeViolations(page), [], `axe violations on ${page.url()}`);
}

async function noSidewaysScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${page.url()} scrolls sideways by ${overflow}px`);
}

async function openApiScreen(page) {
  await page.goto("/orgs/acme");
  await page.getByRole("link", { name: "Organisation settings" }).click();
  await page.getByRole("link", { name: "API authentication" }).click();
  await page.getByRole("heading", { name: "API authentication", level: 1 }).waitFor();
}

const field = (page) => page.locator("#api-token");

describe("API authentication screen", () => {
  let firstToken;
  const s = h.suite({}, async (s) => {
    s.owner = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(s.owner, "owner@acme.test");
  });

  async function setApiAccess(enabled) {
    const staff = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(staff, "staff@pulse.test");
    await staff.goto("/staff/orgs");
    const verb = enabled ? "Enable" : "Disable";
    await staff.getByRole("button", { name: new RegExp(`${verb} API access.* for Acme Consulting`) }).click();
    if (!enabled) {
      // Switching off stops every report at once: staff confirm first.
      await staff.getByRole("heading", { name: "Switch API access off for Acme Consulting?" }).waitFor();
      await h.screenshot(staff, "staff-disable-confirmation");
      await assertAccessible(staff);
      await staff.getByRole("button", { name: "Switch API access off" }).click();
    }
    // Every staff action says what it did, on the organisation's support view.
    await staff.getByText(enabled ? "API access switched on" : "API access switched off").waitFor();
    await staff.getByText(enabled ? "Enabled" : "Disabled", { exact: true }).waitFor();
    await h.screenshot(staff, enabled ? "staff-enabled" : "staff-disabled");
    await staff.context().close();
  }

  test("API disabled: the screen says so and offers no Generate", async () => {
    await openApiScreen(s.owner);
    await s.owner.getByRole("heading", { name: "API access is disabled" }).waitFor();
    assert.equal(await s.owner.getByRole("button", { name: /Generate/ }).count(), 0);
    await h.screenshot(s.owner, "api-disabled");
    await assertAccessible(s.owner);
  });

  test("before the first token: empty field and one Generate button", async () => {
    await setApiAccess(true);
    await openApiScreen(s.owner);
    assert.equal(await field(s.owner).inputValue(), "");
    assert.equal(await s.owner.getByRole("button", { name: "Generate token" }).count(), 1);
    assert.equal(await s.owner.getByRole("button", { name: "Copy" }).count(), 0);
    await h.screenshot(s.owner, "before-first-token");
    await assertAccessible(s.owner);
    assert.deepEqual(s.owner.problems, []);
  });

  test("Generate shows the token in full; Copy puts exactly the token on the clipboard", async () => {
    await s.owner.getByRole("button", { name: "Generate token" }).click();
    await s.owner.getByRole("button", { name: "Copy" }).waitFor();
    firstToken = await field(s.owner).inputValue();
    assert.match(firstToken, TOKEN);
    assert.ok((await s.owner.content()).includes(firstToken), "the page HTML carries the new token");
    await s.owner.getByText("Generated", { exact: true }).waitFor();
    await h.screenshot(s.owner, "just-generated");
    await assertAccessible(s.owner);

    await s.owner.evaluate(() => navigator.clipboard.writeText("something else"));
    const audited = s.owner.waitForResponse((r) => r.url().endsWith("/settings/api/copied"));
    await s.owner.getByRole("button", { name: "Copy" }).click();
    await s.owner.getByText("Copied to the clipboard.").waitFor();
    assert.ok((await audited).ok(), "the copy is recorded in the history");
    assert.equal(await s.owner.evaluate(() => navigator.clipboard.readText()), firstToken);
    assert.equal(await whoami(s.server.baseUrl, firstToken), 200);
    assert.deepEqual(s.owner.problems, []);
  });

  test("Show/Hide toggles the field, by mouse and by keyboard, without moving the layout", async () => {
    const toggle = s.owner.locator("[data-show-target]");
    const box = await field(s.owner).boundingBox();
    assert.equal(await toggle.textContent(), "Hide");
    assert.equal(await toggle.getAttribute("aria-pressed"), "true");
    await toggle.click();
    assert.equal(await field(s.owner).getAttribute("type"), "password");
    assert.equal(await toggle.textContent(), "Show");
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    assert.deepEqual(await field(s.owner).boundingBox(), box);
    await h.screenshot(s.owner, "just-generated-hidden");

    // Keyboard: Tab from the field reaches Copy, then the toggle; Enter activates it.
    await field(s.owner).focus();
    await s.owner.keyboard.press("Tab");
    assert.ok(await s.owner.evaluate(() => document.activeElement.hasAttribute("data-copy-target")), "Copy follows the field");
    await s.owner.keyboard.press("Tab");
    assert.equal(await s.owner.evaluate(() => document.activeElement.textContent), "Show");
    const ring = await s.owner.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(ring, "none", "focused toggle shows a focus ring");
    await s.owner.keyboard.press("Enter");
    assert.equal(await field(s.owner).getAttribute("type"), "text");
    assert.equal(await field(s.owner).inputValue(), firstToken);
  });

  test("the screen fits a phone", async () => {
    await s.owner.setViewportSize({ width: 375, height: 740 });
    await h.screenshot(s.owner, "just-generated-phone");
    await noSidewaysScroll(s.owner);
    await s.owner.setViewportSize({ width: 1100, height: 800 });
  });

  test("an admin sees who generated it and who uses it, and reveals and copies it inside the window", async () => {
    assert.equal(await whoami(s.server.baseUrl, firstToken, "Microsoft.Data.Mashup (https://go.microsoft.com/fwlink/?LinkID=304225)"), 200);
    const admin = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(admin, "admin@acme.test");
    await openApiScreen(admin);
    await admin.getByText("Generated", { exact: true }).waitFor();
    assert.match(await admin.locator(".facts").textContent(), /by Olivia Owner/);
    await admin.getByText("Power BI / Excel (Power Query)").waitFor();
    const shown = await field(admin).inputValue();
    assert.ok(firstToken.startsWith(shown.replace(/…$/, "")), `masked value ${shown} is the token's prefix`);
    assert.ok(shown.length < firstToken.length);
    assert.ok(!(await admin.content()).includes(firstToken), "masked until revealed");
    assert.equal(await admin.getByRole("button", { name: "Copy" }).count(), 0);
    const copied = admin.getByRole("row").filter({ hasText: "Token copied" });
    assert.equal(await copied.filter({ hasText: "Olivia Owner" }).count(), 1, "history shows who copied the token");
    await h.screenshot(admin, "admin-view");
    await assertAccessible(admin);

    // Signed in a moment ago, so no password prompt: Reveal shows it and records it, on a page
    // of its own (Post/Redirect/Get): a reload shows it again and resubmits nothing.
    await admin.getByRole("button", { name: "Reveal token" }).click();
    await admin.getByRole("button", { name: "Copy" }).waitFor();
    assert.equal(await field(admin).inputValue(), firstToken);
    assert.ok(admin.url().endsWith("/settings/api/reveal"), admin.url());
    let dialogs = 0;
    admin.on("dialog", (d) => { dialogs += 1; d.dismiss(); });
    await admin.reload();
    await admin.getByRole("button", { name: "Copy" }).waitFor();
    assert.equal(await field(admin).inputValue(), firstToken);
    assert.equal(dialogs, 0, "no Confirm Form Resubmission");
    await admin.getByText(/Owners and admins can reveal this token again until/).waitFor();
    await admin.evaluate(() => navigator.clipboard.writeText("something else"));
    await admin.getByRole("button", { name: "Copy" }).click();
    await admin.getByText("Copied to the clipboard.").waitFor();
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), firstToken);
    await h.screenshot(admin, "admin-revealed");
    await admin.goto("/orgs/acme/settings/api");
    await admin.getByRole("row").filter({ hasText: "Token revealed" }).filter({ hasText: "Adam Admin" }).waitFor();
    assert.deepEqual(admin.problems, []);
    await admin.context().close();
  });

  test("a member gets 403 on the screen by URL", async () => {
    const member = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(member, "member@acme.test");
    const response = await member.goto("/orgs/acme/settings/api");
    assert.equal(response.status(), 403);
    await member.context().close();
  });

  test("regenerate through the confirmation step: the old token stops working at once", async () => {
    await openApiScreen(s.owner);
    await s.owner.getByRole("link", { name: /Regenerate token/ }).click();
    await s.owner.getByRole("heading", { name: "Regenerate the API token?" }).waitFor();
    const warning = await s.owner.locator("main").textContent();
    assert.match(warning, /will stop working/);
    assert.doesNotMatch(warning, /last used by the API:\s*never/, "it was used by whoami above");
    await h.screenshot(s.owner, "regenerate-confirmation");
    await assertAccessible(s.owner);

    await s.owner.getByLabel("Keep the current token working for").selectOption("none");
    await s.owner.getByRole("button", { name: "Regenerate token" }).click();
    await s.owner.getByRole("button", { name: "Copy" }).waitFor();
    const secondToken = await field(s.owner).inputValue();
    assert.match(secondToken, TOKEN);
    assert.notEqual(secondToken, firstToken);
    assert.equal(await whoami(s.server.baseUrl, firstToken), 401);
    assert.equal(await whoami(s.server.baseUrl, secondToken), 200);
    await h.screenshot(s.owner, "regenerated");

    // Cancel on the confirmation step changes nothing.
    await s.owner.getByRole("link", { name: /Regenerate token/ }).click();
    await s.owner.getByRole("link", { name: "Cancel" }).click();
    await s.owner.getByRole("heading", { name: "API authentication", level: 1 }).waitFor();
    assert.equal(await whoami(s.server.baseUrl, secondToken), 200);

    // Staff switch API access off: the screen says so and the token is refused.
    await setApiAccess(false);
    await s.owner.reload();
    await s.owner.getByRole("heading", { name: "API access is disabled" }).waitFor();
    assert.equal(await s.owner.getByRole("link", { name: /Regenerate token/ }).count(), 0);
    assert.equal(await whoami(s.server.baseUrl, secondToken), 403);
    await h.screenshot(s.owner, "api-disabled-with-token");
    await assertAccessible(s.owner);
    assert.deepEqual(s.owner.problems, []);
  });
});

describe("reveal window", () => {
  const s = h.suite({ revealSeconds: 3, apiEnabled: true });

  test("the field masks itself when the countdown reaches zero, and stays masked after a reload", async () => {
    const owner = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(owner, "owner@acme.test");
    await openApiScreen(owner);
    // By keyboard this time: Enter on the focused Generate button submits.
    await owner.getByRole("button", { name: "Generate token" }).focus();
    await owner.keyboard.press("Enter");
    await owner.getByRole("button", { name: "Copy" }).waitFor();
    const token = await field(owner).inputValue();
    assert.match(token, TOKEN);
    const box = await field(owner).boundingBox();

    // No reload: the page's own countdown masks the field.
    await owner.waitForFunction(() => !document.getElementById("api-token").value.startsWith("pulse_") ||
      document.getElementById("api-token").value.endsWith("…"), null, { timeout: 10_000 });
    const masked = await field(owner).inputValue();
    assert.ok(masked.endsWith("…") && token.startsWith(masked.slice(0, -1)), `masked value ${masked}`);
    assert.equal(await owner.getByRole("button", { name: "Copy" }).count(), 0);
    assert.equal(await owner.locator("[data-show-target]:visible").count(), 0);
    assert.deepEqual(await field(owner).boundingBox(), box, "masking must not move the field");
    await owner.getByText(/reveal window has passed/).waitFor();
    assert.equal(await owner.getByText(/Copy it now/).count(), 0, "no invitation to copy a masked token");
    await h.screenshot(owner, "masked");
    await assertAccessible(owner);

    await owner.reload();
    assert.equal(await field(owner).inputValue(), masked);
    assert.ok(!(await owner.content()).includes(token), "no page contains the token after the reveal window");
    await owner.getByText(/Pulse keeps only a hash of this token, so nobody can see it again/).waitFor();
    await h.screenshot(owner, "masked-after-reload");
    await assertAccessible(owner);
    assert.equal(await whoami(s.server.baseUrl, token), 200, "masking is display only: the token still works");
    assert.deepEqual(owner.problems, []);
    await owner.context().close();
  });
});
