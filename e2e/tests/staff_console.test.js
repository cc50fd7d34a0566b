// The staff console at scale (issue 19): searched, filtered and paged at desktop and phone width;
// and asking for API access, from the owner's screen through the staff's mail and console to the
// owner's answer.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

const { assertAccessible, noSidewaysScroll } = h;

describe("staff console at scale", () => {
  const s = h.suite({}, async (state) => {
    // 120 more organisations, every third with API access off.
    state.server.sql(
      "INSERT INTO organisations (name, slug, api_enabled, created_at) " +
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 120) " +
        "SELECT printf('Client %03d Partners', i), printf('client-%03d', i), CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END, " +
        "datetime('now') FROM seq;",
    );
  });

  for (const phone of [false, true]) {
    const width = phone ? "phone" : "desktop";
    test(`staff search, filter and page through the organisations at ${width} width`, async () => {
      const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
      await h.signIn(page, "staff@pulse.test");
      await page.goto("/staff/orgs");
      await page.getByText("122 organisations · page 1 of 3").waitFor();
      assert.equal(await page.locator("table.orgs tbody tr").count(), 50);
      await h.screenshot(page, `staff-console-paged-${width}`);
      await assertAccessible(page);
      await noSidewaysScroll(page);

      // Search, with a filter: the pages keep both.
      await page.getByLabel("Name, slug or a member's email").fill("partners");
      await page.getByLabel("API access", { exact: true }).selectOption("on");
      await Promise.all([page.waitForURL(/q=partners/), page.getByRole("button", { name: "Find" }).click()]);
      await page.getByText("80 organisations match · page 1 of 2").waitFor();
      await Promise.all([page.waitForURL(/page=2/), page.getByRole("link", { name: "Next page" }).click()]);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get("q"), "partners");
      assert.equal(url.searchParams.get("api"), "on");
      assert.equal(await page.locator("table.orgs tbody tr").count(), 30);
      assert.equal(await page.getByLabel("Name, slug or a member's email").inputValue(), "partners");
      assert.equal(await page.getByLabel("API access", { exact: true }).inputValue(), "on");
      await h.screenshot(page, `staff-console-search-${width}`);
      await assertAccessible(page);
      await noSidewaysScroll(page);

      // A member's email finds their organisation; each row shows its token state.
      await page.getByLabel("Name, slug or a member's email").fill("admin@acme.test");
      await page.getByLabel("API access", { exact: true }).selectOption("");
      await Promise.all([page.waitForURL(/admin/), page.getByRole("button", { name: "Find" }).click()]);
      const row = page.getByRole("row").filter({ hasText: "Acme Consulting" });
      await row.getByText("No token").waitFor();
      assert.equal(await page.locator("table.orgs tbody tr").count(), 1);
      await page.getByLabel("Token", { exact: true }).selectOption("working");
      await Promise.all([page.waitForURL(/token=working/), page.getByRole("button", { name: "Find" }).click()]);
      await page.getByText("0 organisations match").waitFor();
      assert.deepEqual(page.problems, []);
      await page.context().close();
    });
  }

  test("staff find a person and see the confirmation of an action", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "staff@pulse.test");
    await page.goto("/staff/orgs");
    await page.getByRole("link", { name: "People" }).click();
    await page.getByLabel("Email or name").fill("olivia");
    await Promise.all([page.waitForURL(/q=olivia/), page.getByRole("button", { name: "Find" }).click()]);
    await page.getByRole("link", { name: "Olivia Owner" }).click();
    await page.getByText("Acme Consulting").first().waitFor();
    await h.screenshot(page, "staff-person");
    await assertAccessible(page);
    await page.getByRole("link", { name: "Sign out everywhere…" }).click();
    await page.getByRole("heading", { name: "Sign out everywhere for Olivia Owner?" }).waitFor();
    await h.screenshot(page, "staff-person-confirm");
    await assertAccessible(page);
    await Promise.all([page.waitForURL(/done=sign-out/), page.getByRole("button", { name: "Sign out everywhere" }).click()]);
    await page.getByText("Signed out everywhere. They were told by mail.").waitFor();
    await s.server.mailTo("owner@acme.test", "You were signed out of Pulse everywhere");
    await page.context().close();
  });
});

describe("asking for API access", () => {
  const s = h.suite();

  test("an owner asks, staff are told and switch it on, the owner hears the answer", async () => {
    const owner = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(owner, "owner@acme.test");
    await owner.goto("/orgs/acme/settings/api");
    await owner.getByRole("heading", { name: "API access is disabled" }).waitFor();
    await owner.getByLabel("What do you want to connect? (optional)").fill("Our Power BI board report");
    await h.screenshot(owner, "ask-for-api-access");
    await assertAccessible(owner);
    await owner.getByRole("button", { name: "Ask Clientshare to switch API access on" }).click();
    await owner.getByText("Your request was sent to Clientshare").waitFor();
    await owner.locator("#access-request").getByText("Our Power BI board report").waitFor();
    assert.equal(await owner.getByRole("button", { name: "Ask Clientshare to switch API access on" }).count(), 0);
    await h.screenshot(owner, "api-access-requested");
    await assertAccessible(owner);

    const mail = await s.server.mailTo("staff@pulse.test", "Acme Consulting asks for API access");
    assert.match(mail.text, /Our Power BI board report/);
    const link = mail.text.match(/http:\/\/\S+\/staff\/orgs\/acme/)[0];

    const staff = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(staff, "staff@pulse.test");
    await staff.goto("/staff/orgs");
    await staff.getByLabel("Asked for API access (oldest first)").check();
    await Promise.all([staff.waitForURL(/requested=on/), staff.getByRole("button", { name: "Find" }).click()]);
    await staff.getByText("1 organisation matches").waitFor();
    await staff.getByRole("row").filter({ hasText: "Acme Consulting" }).getByText("Asked for API access").waitFor();
    await h.screenshot(staff, "staff-console-requested");
    await assertAccessible(staff);
    await staff.goto(new URL(link).pathname);
    await staff.getByRole("heading", { name: "Request for API access" }).waitFor();
    await h.screenshot(staff, "staff-support-view-request");
    await assertAccessible(staff);
    await staff.getByRole("button", { name: "Switch API access on" }).click();
    await staff.getByText("API access switched on").first().waitFor();
    assert.equal(await staff.getByRole("heading", { name: "Request for API access" }).count(), 0);

    const answer = await s.server.mailTo("owner@acme.test", "API access switched on for Acme Consulting");
    assert.match(answer.text, /as asked on/);
    await owner.reload();
    await owner.getByRole("button", { name: /Generate/ }).first().waitFor();
    assert.deepEqual(owner.problems, []);
    assert.deepEqual(staff.problems, []);
    await owner.context().close();
    await staff.context().close();
  });
});
