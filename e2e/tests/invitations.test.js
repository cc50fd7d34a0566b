// People end to end in Chromium: staff create an organisation with its first owner's email; the
// owner accepts the invitation from the message that arrived in the mail folder (a new person:
// name and password), invites an admin on the members page; the admin accepts and reveals the
// token the owner generated, inside the reveal window. Screenshots at desktop and phone width,
// axe on every screen.
"use strict";
const { describe, test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/harness");

const TOKEN = /^pulse_[0-9A-Za-z]{40,}$/;
const PETER_PASSWORD = "peter owns initech now";
const ADAM_PASSWORD = "adam administers initech";

async function checked(page, name) {
  await h.screenshot(page, name);
  assert.deepEqual(await h.axeViolations(page), [], `axe violations on ${page.url()}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${page.url()} scrolls sideways by ${overflow}px`);
}

/** The invitation link in the newest message to `address` whose subject starts with `subject`. */
async function invitationLink(server, address, subject) {
  const mail = await server.mailTo(address, subject);
  assert.match(mail.html, /Accept the invitation/);
  const link = mail.text.match(/^(http\S+\/invitation\?token=\S+)$/m)[1];
  assert.ok(link.startsWith(server.baseUrl), link);
  return link;
}

/** Follows `link` as a new person in a fresh browser context and creates the account. */
async function acceptAsNewPerson(s, link, { name, password, shots, phone = false }) {
  const page = await h.newPage(s.browser, s.server.baseUrl, { phone });
  await page.goto(link);
  await page.getByRole("heading", { name: "Join Initech Ltd" }).waitFor();
  await checked(page, shots);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel(/^Password/).fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === "/orgs/initech"),
    page.getByRole("button", { name: "Create account and join" }).click(),
  ]);
  await page.getByRole("heading", { name: "Initech Ltd" }).waitFor();
  return page;
}

describe("invitations", () => {
  const s = h.suite();

  test("staff create an organisation with its owner, who invites an admin, who reveals the token", async () => {
    // Staff create Initech with its first owner's email.
    const staff = await h.newPage(s.browser, s.server.baseUrl);
    await h.signIn(staff, "staff@pulse.test");
    await staff.goto("/staff/orgs");
    await staff.getByLabel("Name", { exact: true }).fill("Initech Ltd");
    await staff.getByLabel(/^Slug/).fill("initech");
    await staff.getByLabel(/First owner's email/).fill("peter@initech.test");
    await staff.getByLabel("Enable API access").check();
    await staff.getByRole("button", { name: "Create organisation" }).click();
    await staff.getByText("Organisation Initech Ltd (initech) created.").waitFor();
    await staff.goto("/staff/orgs/initech");
    await staff.getByRole("cell", { name: "peter@initech.test", exact: true }).waitFor();
    await checked(staff, "staff-support-invitation");
    await staff.context().close();

    // The owner accepts from the message that arrived, as a new person, at phone width.
    const peterLink = await invitationLink(s.server, "peter@initech.test", "Sam Staff invited you to Initech Ltd");
    const peterPhone = await acceptAsNewPerson(s, peterLink, {
      name: "Peter Owner",
      password: PETER_PASSWORD,
      shots: "invitation-new-person-phone",
      phone: true,
    });
    await peterPhone.goto("/orgs/initech/settings/members");
    await peterPhone.getByRole("heading", { name: "Members and roles" }).waitFor();
    await checked(peterPhone, "members-phone");
    await peterPhone.context().close();
    // The link worked once.
    const again = await h.newPage(s.browser, s.server.baseUrl);
    await again.goto(peterLink);
    await again.getByRole("alert").filter({ hasText: "already been used" }).waitFor();
    await checked(again, "invitation-used");
    await again.context().close();

    // The owner (signing in on a desktop) invites an admin from the members page.
    const peter = await h.newPage(s.browser, s.server.baseUrl);
    await peter.goto("/login");
    await peter.getByLabel("Email").fill("peter@initech.test");
    await peter.getByLabel("Password").fill(PETER_PASSWORD);
    await Promise.all([peter.waitForURL((url) => url.pathname === "/"), peter.getByRole("button", { name: "Sign in" }).click()]);
    await peter.goto("/orgs/initech");
    await peter.getByRole("link", { name: "Organisation settings" }).click();
    await peter.getByRole("link", { name: "Members and roles" }).click();
    await peter.getByRole("heading", { name: "Members and roles" }).waitFor();
    await peter.getByLabel("Email").fill("adam@initech.test");
    await peter.getByLabel("Role", { exact: true }).selectOption("admin");
    await peter.getByRole("button", { name: "Send invitation" }).click();
    await peter.getByRole("status").filter({ hasText: "Invitation sent" }).waitFor();
    await peter.getByRole("cell", { name: "adam@initech.test", exact: true }).waitFor();
    await checked(peter, "members");

    // The owner generates the token.
    await peter.goto("/orgs/initech/settings/api");
    await peter.getByRole("button", { name: "Generate token" }).click();
    await peter.getByRole("button", { name: "Copy" }).waitFor();
    const token = await peter.locator("#api-token").inputValue();
    assert.match(token, TOKEN);

    // The admin accepts and reveals the token inside the window.
    const adamLink = await invitationLink(s.server, "adam@initech.test", "Peter Owner invited you to Initech Ltd");
    const adam = await acceptAsNewPerson(s, adamLink, {
      name: "Adam Admin",
      password: ADAM_PASSWORD,
      shots: "invitation-new-person",
    });
    await adam.goto("/orgs/initech/settings/api");
    await adam.getByRole("button", { name: "Reveal token" }).click();
    await adam.getByRole("button", { name: "Copy" }).waitFor();
    assert.equal(await adam.locator("#api-token").inputValue(), token);
    await h.screenshot(adam, "invited-admin-revealed");

    // The owners heard of each change, and the history shows it.
    await s.server.mailTo("peter@initech.test", "Members of Initech Ltd changed");
    await peter.goto("/orgs/initech/settings/members");
    await peter.getByRole("row").filter({ hasText: "Joined" }).filter({ hasText: "adam@initech.test as admin" }).waitFor();
    assert.deepEqual(peter.problems, []);
    assert.deepEqual(adam.problems, []);
    await peter.context().close();
    await adam.context().close();
  });
});
