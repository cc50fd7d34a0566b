// Issue 20 in a browser: the screens finished. Each test shows a fix at desktop and phone width,
// with a screenshot and axe-core clean: analytics on a phone, the session list, the time zone,
// a session that ended under a form, the password page, the two-factor screens, import, the API
// documentation's snippets.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

async function check(page, name) {
  await h.screenshot(page, name);
  assert.deepEqual(await h.axeViolations(page), [], `axe violations on ${page.url()}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${page.url()} scrolls sideways by ${overflow}px`);
}

/**
 * `fn(page, phone)` at desktop and at phone width, each in its own signed-in browser. A page
 * that refuses a form answers with its status (400, 422), which the browser logs: expected.
 */
async function bothWidths(s, email, fn) {
  for (const phone of [false, true]) {
    const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
    await h.signIn(page, email);
    await fn(page, phone);
    const refusal = /Failed to load resource: the server responded with a status of (400|422)/;
    assert.deepEqual(page.problems.filter((p) => !refusal.test(p)), []);
    await page.context().close();
  }
}

describe("screens finished", () => {
  const s = h.suite({ demo: true });

  test("analytics on a phone: labelled numbers, a full-width caption, readable chart text", async () => {
    await bothWidths(s, "owner@acme.example", async (page, phone) => {
      await page.goto("/orgs/acme/analytics");
      assert.match(await page.locator("#months-table tbody th").last().textContent(), /\(so far\)$/);
      if (phone) {
        const caption = await page.locator("#months-table caption").boundingBox();
        assert.ok(caption.width > 300, `caption is ${caption.width}px wide`);
        const label = await page.locator("#months-table td[data-label=Responses]").first().evaluate((td) => getComputedStyle(td, "::before").content);
        assert.equal(label, '"Responses"');
        const size = await page.locator("svg.nps-chart text.axis-label").first().evaluate((t) => t.getBoundingClientRect().height);
        assert.ok(size >= 9, `chart text is ${size}px tall`);
      }
      await check(page, phone ? "analytics-finished-phone" : "analytics-finished");
    });
  });

  test("the session list labels its dates, keeps Sign out on one line and says what ending did", async () => {
    const other = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(other, "admin@acme.example");
    await bothWidths(s, "admin@acme.example", async (page, phone) => {
      await page.goto("/account");
      const button = page.getByRole("button", { name: /^Sign out .* from/ }).first();
      const box = await button.boundingBox();
      const oneLine = await page.getByRole("button", { name: "Save mail settings" }).boundingBox();
      assert.ok(box.height <= oneLine.height + 1, `Sign out wraps: ${box.height}px tall, one line is ${oneLine.height}px`);
      if (phone) {
        const label = await page.locator("td[data-label='Last seen']").first().evaluate((td) => getComputedStyle(td, "::before").content);
        assert.equal(label, '"Last seen"');
      }
      await check(page, phone ? "sessions-phone" : "sessions");
      await button.click();
      await page.getByText("That session was signed out.").waitFor();
      await check(page, phone ? "session-ended-phone" : "session-ended");
    });
    await other.context().close();
  });

  test("a time zone chosen on /account: every time says its zone", async () => {
    await bothWidths(s, "owner@northwind.example", async (page, phone) => {
      await page.goto("/account#time-zone");
      await page.getByLabel("Show times in").selectOption("Asia/Tokyo");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.getByText("Your time zone is saved").waitFor();
      const shown = await page.locator("time[data-local]").first().textContent();
      assert.match(shown, /GMT\+9|JST/, `a time in Tokyo's zone, named: ${shown}`);
      await check(page, phone ? "time-zone-phone" : "time-zone");
      await page.getByLabel("Show times in").selectOption("");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.getByText("Your time zone is saved").waitFor();
    });
  });

  test("a form sent after the session ended: the sign-in page says so and returns to the screen", async () => {
    const page = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(page, "owner@acme.example");
    await page.goto("/orgs/acme/settings/api");
    // Signed out in another tab of the same browser: the page's own Sign out form, sent with the
    // browser's cookies from outside the page. (Doing it in a second page that then closed left
    // this page's next click waiting for ever in about one run in five; cause not found.)
    const csrf = await page.locator('form[action="/logout"] input[name="csrf_token"]').inputValue();
    const signedOut = await page.context().request.post("/logout", {
      form: { csrf_token: csrf },
      headers: { Origin: s.server.baseUrl },
      maxRedirects: 0,
    });
    assert.equal(signedOut.status(), 303);
    await page.getByRole("button", { name: "Generate token" }).click();
    await page.getByText("Your session had ended, so that action was not carried out.").waitFor();
    await check(page, "session-ended-sign-in");
    await page.getByLabel("Email").fill("owner@acme.example");
    await page.getByLabel("Password").fill(h.PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/orgs/acme/settings/api");
    await page.getByRole("button", { name: "Generate token" }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the password page: typed twice, with a show-passwords box", async () => {
    await bothWidths(s, "member@acme.example", async (page, phone) => {
      await page.goto("/account/password");
      await page.getByLabel("Current password").fill("not it at all");
      await page.getByLabel("New password (12 to 128 characters; not a common one)").fill("a brand new passphrase");
      await page.getByLabel("New password again").fill("a brand new passphrace");
      await page.getByLabel("Show passwords").check();
      assert.equal(await page.getByLabel("New password again").getAttribute("type"), "text");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByText("The new password and its repetition differ").waitFor();
      await check(page, phone ? "change-password-mismatch-phone" : "change-password-mismatch");
    });
  });

  test("two-factor setup: the key in groups, a way out, recovery codes copied and downloaded", async () => {
    // Two people, as turning it on changes how each signs in next.
    for (const [email, phone] of [["admin@acme.example", false], ["owner@northwind.example", true]]) {
      const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
      await h.signIn(page, email);
      await page.goto("/account/two-factor");
      const key = await page.locator("code.key").textContent();
      assert.match(key, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/, key);
      await page.getByRole("link", { name: /^Cancel/ }).waitFor();
      await check(page, phone ? "two-factor-setup-phone" : "two-factor-setup");
      await page.locator("#code").fill(h.totp(key.replace(/\s+/g, "")));
      await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
      const copy = page.getByRole("button", { name: "Copy the recovery codes" });
      await copy.click();
      const codes = await page.locator(".recovery-codes code").textContent();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), codes);
      const download = page.waitForEvent("download");
      await page.getByRole("link", { name: "Download as a text file" }).click();
      const file = await download;
      assert.equal(file.suggestedFilename(), "pulse-recovery-codes.txt");
      const text = require("node:fs").readFileSync(await file.path(), "utf8");
      for (const code of codes.split("\n").filter(Boolean)) assert.ok(text.includes(code), code);
      await check(page, phone ? "recovery-codes-phone" : "recovery-codes");
      assert.deepEqual(page.problems, []);
      await page.context().close();
    }
  });

  test("import: an unquoted comma named, new clients confirmed before they are created", async () => {
    const header = "client,respondent_name,respondent_email,score,comment,survey,submitted_at";
    await bothWidths(s, "owner@acme.example", async (page, phone) => {
      await page.goto("/orgs/acme/import");
      await page.getByText(/Files up to 16 MB/).waitFor();
      await page.getByLabel("CSV", { exact: true }).fill(`${header}\nGlobex,Ann,ann@globex.example,9,Good, fast,Q1,2026-01-05`);
      await page.getByRole("button", { name: "Import" }).click();
      await page.getByText("8 values, expected 7: quote values that contain commas").waitFor();
      await check(page, phone ? "import-comma-phone" : "import-comma");
      const email = phone ? "bo@brandnew.example" : "al@brandnew.example";
      await page.getByLabel("CSV", { exact: true }).fill(`${header}\nBrand New Client ${phone ? "B" : "A"},Al,${email},9,,Q1,2026-01-05`);
      await page.getByRole("button", { name: "Import" }).click();
      await page.getByText("Check the spelling").waitFor();
      await check(page, phone ? "import-new-clients-phone" : "import-new-clients");
      await page.getByRole("button", { name: "Import and create this client" }).click();
      await page.getByText("Imported 1 response.").waitFor();
    });
  });

  test("API documentation: snippets keep their lines and each Copy says what it copies", async () => {
    await bothWidths(s, "member@acme.example", async (page, phone) => {
      await page.goto("/orgs/acme/api-docs");
      const lines = await page.locator("pre code").first().evaluate((c) => c.getClientRects().length);
      assert.ok(lines >= 1);
      const wraps = await page.locator("div.snippet pre").evaluateAll((pres) => pres.filter((p) => getComputedStyle(p).whiteSpace !== "pre").length);
      assert.equal(wraps, 0, "no snippet wraps mid-URL");
      const labels = await page.locator("[data-copy-snippet]").evaluateAll((bs) => bs.map((b) => b.getAttribute("aria-label")));
      assert.equal(new Set(labels).size, labels.length, labels.join(" | "));
      assert.equal(await page.getByRole("link", { name: "API authentication" }).count(), 0, "a member is not sent to a 403");
      await check(page, phone ? "api-docs-finished-phone" : "api-docs-finished");
    });
  });
});
