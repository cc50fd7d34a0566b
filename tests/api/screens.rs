//! Issue 20, the screens finished: no dead ends, no surprise, every date with its zone. Each
//! test drives the real server as a browser would and names the defect it keeps fixed.
use chrono::Duration;
use pulse::domain::accounts::MAX_FAILURES_PER_PLACE;
use pulse::domain::role::Role;

use crate::helpers::spawn_app_with;
use crate::helpers::{PASSWORD, TestApp, attr_of, body, browser, shown_token, spawn_app};
use crate::token_screen::audit_actions;

const SCREEN: &str = "/orgs/acme/settings/api";

/// A token that `client` (an owner) generates and then regenerates with a grace period: the
/// old one stays in its grace period. Returns (old, new).
async fn in_grace(app: &TestApp, client: &reqwest::Client) -> (String, String) {
    let old = app.generate_token(client, "acme").await;
    assert_eq!(app.whoami_status(&old).await, 200, "the old token is used");
    let regenerated = app.regenerate_token(client, "acme", "1h").await;
    assert_eq!(regenerated.status().as_u16(), 303);
    let (_, html) = app.get_html(client, SCREEN).await;
    (
        old,
        shown_token(&html).expect("the new token is shown once"),
    )
}

/// `client` asking for `path` is sent away (303) without being shown `token`: where to.
async fn sent_away_without(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    token: &str,
) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "{path}");
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(!body(response).await.contains(token), "{path}");
    to
}

/// An admin's own session, which was never shown `token`, asking for `path`: where it is sent.
async fn another_session_sent_away(app: &TestApp, path: &str, token: &str) -> String {
    app.member("admin@acme.example", "acme", Role::Admin);
    let admin = app.signed_in("admin@acme.example").await;
    sent_away_without(app, &admin, path, token).await
}

/// 1. End now asks first, naming the old token, its last use and who still uses it; the POST
/// is the one that acts.
#[tokio::test]
async fn end_now_asks_first_and_names_who_still_uses_the_old_token() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (old, new) = in_grace(&app, &owner).await;
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    let link = attr_of(&screen, "a[href*='/grace/end']", "href").expect("End now is a link");
    let (status, review) = app.get_html(&owner, &link).await;
    assert_eq!(status, 200);
    assert!(review.contains("End the grace period now?"));
    assert!(review.contains(&old[..10]) && review.contains(&new[..10]));
    assert!(review.contains("Who still uses it"));
    assert!(
        !review.contains("No API client has used this token yet"),
        "its client is named"
    );
    assert_eq!(
        app.whoami_status(&old).await,
        200,
        "looking acts on nothing"
    );

    let ended = app
        .post_form(&owner, &format!("{SCREEN}/grace/end"), &link, &[])
        .await;
    assert_eq!(ended.status().as_u16(), 303);
    assert_eq!(app.whoami_status(&old).await, 401);
    assert_eq!(app.whoami_status(&new).await, 200);
    // Back to the review page: the step no longer holds, so the browser goes to the screen.
    let back = owner.get(app.url(&link)).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(back.headers()["location"], SCREEN);
}

/// 1. End now keeps the new token shown: the owner who was just shown it at its first display
/// and ends the grace period through the review comes back to the screen with the full token,
/// the same deadline and the notice; another session never sees it.
#[tokio::test]
async fn end_now_keeps_the_new_token_shown_for_the_rest_of_its_window() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (old, new) = in_grace(&app, &owner).await;
    let (_, masked) = app.get_html(&owner, SCREEN).await;
    let deadline = attr_of(&masked, "#token-masked", "data-countdown-until").expect("until when");
    let (_, shown) = app.get_html(&owner, &format!("{SCREEN}/reveal")).await;
    assert!(
        !shown.contains(&new),
        "the first display alone opens no reveal page"
    );
    let link = format!("{SCREEN}/grace/end");
    app.advance(Duration::minutes(1));
    let ended = app.post_form(&owner, &link, &link, &[]).await;
    assert_eq!(ended.status().as_u16(), 303);
    let back = ended.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("{SCREEN}/reveal?done=grace-ended"));
    let (status, html) = app.get_html(&owner, &back).await;
    assert_eq!(status, 200);
    assert_eq!(shown_token(&html).as_deref(), Some(new.as_str()));
    assert!(
        html.contains("Your new token is ready"),
        "still its first display"
    );
    assert!(html.contains("grace period has ended: the API refuses it now"));
    let countdown = "[data-countdown-until]";
    assert_eq!(
        attr_of(&html, countdown, "data-countdown-until"),
        Some(deadline)
    );
    assert_eq!(
        attr_of(&html, countdown, "data-seconds-left").as_deref(),
        Some("240"),
        "the rest of the five minutes from Regenerate, not more"
    );
    assert_eq!(app.whoami_status(&old).await, 401);
    assert_eq!(
        audit_actions(&app),
        [
            "token.generated",
            "token.first_used",
            "token.regenerated",
            "token.grace_ended"
        ],
        "showing it again is no reveal"
    );
    // Another owner's session was never shown it.
    let theirs = another_session_sent_away(&app, &back, &new).await;
    assert_eq!(theirs, format!("{SCREEN}?done=grace-ended"));
    // Never beyond the reveal window.
    app.advance(Duration::minutes(5));
    sent_away_without(&app, &owner, &back, &new).await;
}

/// 1. After the reveal window, End now leaves the new token masked, as before.
#[tokio::test]
async fn end_now_after_the_reveal_window_leaves_the_new_token_masked() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, new) = in_grace(&app, &owner).await;
    app.advance(Duration::minutes(6));
    let link = format!("{SCREEN}/grace/end");
    let ended = app.post_form(&owner, &link, &link, &[]).await;
    assert_eq!(ended.status().as_u16(), 303);
    let back = ended.headers()["location"].to_str().unwrap().to_owned();
    let screen = sent_away_without(&app, &owner, &back, &new).await;
    assert_eq!(screen, format!("{SCREEN}?done=grace-ended"));
    let (status, html) = app.get_html(&owner, &screen).await;
    assert_eq!(status, 200);
    assert_eq!(shown_token(&html), None);
    assert!(!html.contains(&new));
    assert!(html.contains("grace period has ended: the API refuses it now"));
}

/// 2. A form posted after the session ended does nothing, and the sign-in page says so and
/// returns to the page the form was on (not to the form's action, a 404 for a GET).
#[tokio::test]
async fn a_form_sent_after_the_session_ended_returns_to_its_page_and_says_so() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let csrf = app.csrf_token(&owner, SCREEN).await;
    // Signed out in another tab.
    let out = app.post_form(&owner, "/logout", "/", &[]).await;
    assert_eq!(out.status().as_u16(), 303);
    let generate = owner
        .post(app.url(&format!("{SCREEN}/generate")))
        .header("Origin", app.url("").trim_end_matches('/'))
        .header("Referer", app.url(SCREEN))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(generate.status().as_u16(), 303);
    let login = generate.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        login,
        "/login?next=%2Forgs%2Facme%2Fsettings%2Fapi&ended=action"
    );
    let (_, page) = app.get_html(&browser(), &login).await;
    assert!(page.contains("Your session had ended, so that action was not carried out"));
    assert!(page.contains(r#"name="next" value="/orgs/acme/settings/api""#));
    assert_eq!(
        audit_actions(&app),
        Vec::<String>::new(),
        "no token was made"
    );
    // Signing in from that page lands on the screen, where the action can be done again.
    let signed = app
        .post_form(
            &owner,
            "/login",
            &login,
            &[
                ("email", "owner@acme.example"),
                ("password", PASSWORD),
                ("next", "/orgs/acme/settings/api"),
            ],
        )
        .await;
    assert_eq!(signed.headers()["location"], SCREEN);
    // A page asked for (GET) after the session ended comes back as it was, without the words.
    let idle = owner.get(app.url("/orgs/acme")).send().await.unwrap();
    assert_eq!(idle.status().as_u16(), 200);
}

/// 3. Reveal is Post/Redirect/Get: the POST records one reveal and sends the browser to
/// `GET …/reveal`; reloading that page shows the token again without another entry, and it
/// stops showing it once the password is no longer recent or the token changed.
#[tokio::test]
async fn reveal_redirects_to_a_page_that_reloads_without_revealing_again() {
    let app = spawn_app_with(|c| c.reveal_window = Duration::minutes(30)).await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let (posted, html) = app.reveal(&owner, "acme", &[]).await;
    assert_eq!(posted, 303);
    assert_eq!(shown_token(&html).as_deref(), Some(token.as_str()));
    assert!(
        !html.contains("Your new token is ready"),
        "a reveal, not the first display"
    );
    let reveal = format!("{SCREEN}/reveal");
    for _ in 0..2 {
        let (status, again) = app.get_html(&owner, &reveal).await;
        assert_eq!(status, 200, "reload");
        assert_eq!(shown_token(&again).as_deref(), Some(token.as_str()));
    }
    assert_eq!(audit_actions(&app), ["token.generated", "token.revealed"]);
    // Another person's session never saw it: the page is the masked screen for them.
    assert_eq!(
        another_session_sent_away(&app, &reveal, &token).await,
        SCREEN
    );
    // Eleven minutes on, the password is no longer recent: the page masks it again.
    app.advance(Duration::minutes(11));
    sent_away_without(&app, &owner, &reveal, &token).await;
}

/// 11. Back after Regenerate does not offer to regenerate the new token; `?done=revoked` is
/// said only while no token exists; the review pages' breadcrumbs include Settings; the
/// masked token says until when it can be revealed.
#[tokio::test]
async fn back_and_reload_never_show_a_step_or_a_notice_that_no_longer_holds() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    let link = attr_of(&screen, "a[href*='/regenerate']", "href").unwrap();
    assert!(link.contains("?token="), "{link}");
    let (status, review) = app.get_html(&owner, &link).await;
    assert_eq!(status, 200);
    assert!(review.contains(r#"<a href="/orgs/acme/settings">Settings</a>"#));
    let regenerated = app.regenerate_token(&owner, "acme", "none").await;
    assert_eq!(regenerated.status().as_u16(), 303);
    let back = owner.get(app.url(&link)).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(
        back.headers()["location"],
        format!("{SCREEN}?done=replaced")
    );
    let (_, told) = app
        .get_html(&owner, &format!("{SCREEN}?done=replaced"))
        .await;
    assert!(told.contains("That token was already replaced: nothing was changed"));

    // Revoke, generate again, reload the old `?done=revoked`: no banner about a revoke.
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    let revoke = attr_of(&screen, "a[href*='/revoke']", "href").unwrap();
    let (_, step) = app.get_html(&owner, &revoke).await;
    assert!(step.contains(r#"<a href="/orgs/acme/settings">Settings</a>"#));
    let current = attr_of(&step, r#"input[name="current"]"#, "value").unwrap();
    let revoked = app
        .post_form(
            &owner,
            &format!("{SCREEN}/revoke"),
            &revoke,
            &[("current", &current)],
        )
        .await;
    assert_eq!(
        revoked.headers()["location"],
        format!("{SCREEN}?done=revoked")
    );
    let (_, after) = app
        .get_html(&owner, &format!("{SCREEN}?done=revoked"))
        .await;
    assert!(after.contains("The token was revoked") && after.contains("No current token"));
    app.generate_token(&owner, "acme").await;
    let (_, reloaded) = app
        .get_html(&owner, &format!("{SCREEN}?done=revoked"))
        .await;
    assert!(!reloaded.contains("The token was revoked"));
    assert!(reloaded.contains("Owners and admins can reveal this token until"));
    assert!(reloaded.contains("data-countdown-until"));
}

/// 6. Words that match the state: nothing promises Regenerate while it is hidden; a staff
/// member enabling an organisation without a token is not told "the token works again"; the
/// password prompt says how long it lasts in words ("1 minute", not "1 minutes").
#[tokio::test]
async fn the_words_match_the_state() {
    let app = spawn_app_with(|c| {
        c.reveal_window = Duration::seconds(60);
        c.sudo_window = Duration::seconds(60);
    })
    .await;
    let owner = app.owner_of("acme").await;
    let (_, empty) = app.get_html(&owner, SCREEN).await;
    assert!(empty.contains("shown in full for 1 minute;"), "{empty}");
    app.generate_token(&owner, "acme").await;
    app.advance(Duration::minutes(2));
    let prompt = app
        .post_form(&owner, &format!("{SCREEN}/generate"), SCREEN, &[])
        .await;
    let prompt = body(prompt).await;
    assert!(
        prompt.contains("You will not be asked again for 1 minute."),
        "{prompt}"
    );

    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let staff_id = app.create_user("other-staff@pulse.example", true).id;
    app.set_api_access("acme", false, staff_id);
    let (_, disabled) = app.get_html(&owner, SCREEN).await;
    assert!(!disabled.contains("regenerate it") && !disabled.contains("Regenerate token"));
    assert!(disabled.contains("While API access is disabled it cannot be replaced."));

    app.create_org("globex", false);
    let enabled = app
        .post_form(
            &staff,
            "/staff/orgs/globex/api-access",
            "/staff/orgs",
            &[("enabled", "true")],
        )
        .await;
    let view = enabled.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = app.get_html(&staff, &view).await;
    assert!(!page.contains("token works again"));
    assert!(page.contains("The organisation has no token yet"));
}

/// 7. Changing the password: typed twice (a mismatch changes nothing and costs no guess), a
/// wrong current password is a 401 as at sign-in, and the account page then says that every
/// other session was signed out.
#[tokio::test]
async fn a_password_change_is_typed_twice_and_says_what_it_did() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = app.signed_in("ann@example.com").await;
    let phone = app.signed_in("ann@example.com").await;
    let path = "/account/password";
    let (_, form) = app.get_html(&laptop, path).await;
    assert!(form.contains(r#"name="new_password_again""#) && form.contains("Show passwords"));
    let change = |current: &'static str, again: &'static str| {
        let (app, laptop) = (&app, &laptop);
        async move {
            let fields = [
                ("current_password", current),
                ("new_password", "a brand new passphrase"),
                ("new_password_again", again),
            ];
            app.post_form(laptop, path, path, &fields).await
        }
    };
    let mismatch = change("a wrong guess", "a brand new passphrace").await;
    assert_eq!(mismatch.status().as_u16(), 400);
    assert!(body(mismatch).await.contains("differ"));
    // The mismatch was not a guess: five wrong passwords are still allowed before the lock.
    for _ in 0..MAX_FAILURES_PER_PLACE - 1 {
        let wrong = change("a wrong guess", "a brand new passphrase").await;
        assert_eq!(wrong.status().as_u16(), 401);
    }
    let changed = change(PASSWORD, "a brand new passphrase").await;
    assert_eq!(changed.status().as_u16(), 303);
    let next = changed.headers()["location"].to_str().unwrap().to_owned();
    let (_, account) = app.get_html(&laptop, &next).await;
    assert!(account.contains("Your password was changed. Every other session was signed out"));
    assert_eq!(app.status_of(&phone, "/").await, 303);
}

/// 8. Members find what is theirs: the organisation page links to the API documentation and
/// Connect; neither links them to the token screen, a 403 for them.
#[tokio::test]
async fn members_are_linked_to_their_pages_and_never_to_a_403() {
    let app = spawn_app().await;
    app.owner_of("acme").await;
    app.member("member@acme.example", "acme", Role::Member);
    let member = app.signed_in("member@acme.example").await;
    let (_, home) = app.get_html(&member, "/orgs/acme").await;
    assert!(home.contains(r#"href="/orgs/acme/api-docs""#));
    assert!(home.contains(r#"href="/orgs/acme/connect""#));
    for page in ["/orgs/acme", "/orgs/acme/api-docs", "/orgs/acme/connect"] {
        let (status, html) = app.get_html(&member, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            !html.contains(r#"href="/orgs/acme/settings"#),
            "{page} links to a 403"
        );
    }
    assert_eq!(app.status_of(&member, SCREEN).await, 403);
}

/// 5. A time zone on /account: pages carry it for their script (which writes every time with
/// its zone); a zone Pulse does not know is refused and changes nothing; the server's own
/// text says UTC.
#[tokio::test]
async fn a_person_chooses_the_time_zone_their_pages_show() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    app.generate_token(&owner, "acme").await;
    let (_, account) = app.get_html(&owner, "/account").await;
    assert!(account.contains(r#"<option value="Europe/Paris">"#));
    assert!(
        !account.contains("data-time-zone"),
        "the browser's zone until one is chosen"
    );
    let bad = app
        .post_form(
            &owner,
            "/account/time-zone",
            "/account",
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 400);
    assert!(body(bad).await.contains("not a time zone Pulse knows"));
    let saved = app
        .post_form(
            &owner,
            "/account/time-zone",
            "/account",
            &[("time_zone", "Europe/Paris")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(screen.contains(r#"<body data-time-zone="Europe/Paris">"#));
    assert!(
        screen.contains(" UTC</time>"),
        "without the script, times say UTC"
    );
    let (_, account) = app.get_html(&owner, "/account?saved=time-zone").await;
    assert!(account.contains(r#"<option value="Europe/Paris" selected>"#));
    assert!(account.contains("Your time zone is saved"));
    let cleared = app
        .post_form(
            &owner,
            "/account/time-zone",
            "/account",
            &[("time_zone", "")],
        )
        .await;
    assert_eq!(cleared.status().as_u16(), 303);
    let (_, screen) = app.get_html(&owner, SCREEN).await;
    assert!(!screen.contains("data-time-zone"));
}

/// 9. The session list labels its cells on a phone and says what ending a session did.
#[tokio::test]
async fn the_session_list_labels_its_dates_and_says_what_ending_did() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let laptop = app.signed_in("ann@example.com").await;
    let _phone = app.signed_in("ann@example.com").await;
    let (_, account) = app.get_html(&laptop, "/account").await;
    for label in ["Device", "Address", "Signed in", "Last seen"] {
        assert!(
            account.contains(&format!(r#"data-label="{label}""#)),
            "{label}"
        );
    }
    let handle = attr_of(&account, r#"input[name="handle"]"#, "value").unwrap();
    let ended = app
        .post_form(
            &laptop,
            "/account/sessions/end",
            "/account",
            &[("handle", &handle)],
        )
        .await;
    let next = ended.headers()["location"].to_str().unwrap().to_owned();
    let (_, after) = app.get_html(&laptop, &next).await;
    assert!(after.contains("That session was signed out."));
}

/// 14. Wrong passwords warn before the lock, the lock says its wait in words on the sign-in
/// page itself (not an error page offering "your organisations" to someone signed out), and
/// wrong passwords on the sudo prompt say that they lock signing in.
#[tokio::test]
async fn wrong_passwords_warn_before_the_lock_and_the_lock_says_how_long() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let client = browser();
    let mut pages = Vec::new();
    for _ in 0..MAX_FAILURES_PER_PLACE {
        let wrong = app
            .login_as(&client, "ann@example.com", "a wrong guess")
            .await;
        assert_eq!(wrong.status().as_u16(), 401);
        pages.push(body(wrong).await);
    }
    assert!(
        !pages[1].contains("lock"),
        "no warning while many tries are left"
    );
    assert!(pages[2].contains("Two more wrong passwords lock signing in"));
    assert!(pages[3].contains("One more wrong password locks signing in"));
    assert!(pages[4].contains("is now locked for 15 minutes"));
    let locked = app.login_as(&client, "ann@example.com", PASSWORD).await;
    assert_eq!(locked.status().as_u16(), 429);
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    let page = body(locked).await;
    assert!(page.contains("try again in 15 minutes") && page.contains(r#"name="password""#));
    assert!(!page.contains("Back to your organisations"));

    // The sudo prompt: the same warnings, and the lock said there too.
    app.owner_of("acme").await;
    let owner = app.signed_in("owner@acme.example").await;
    app.advance(Duration::minutes(11));
    let generate = format!("{SCREEN}/generate");
    let mut last = String::new();
    for _ in 0..MAX_FAILURES_PER_PLACE {
        let wrong = app
            .post_form(&owner, &generate, SCREEN, &[("password", "a wrong guess")])
            .await;
        assert_eq!(wrong.status().as_u16(), 401);
        last = body(wrong).await;
    }
    assert!(last.contains("is now locked for 15 minutes"), "{last}");
    let locked = app
        .post_form(&owner, &generate, SCREEN, &[("password", PASSWORD)])
        .await;
    assert_eq!(locked.status().as_u16(), 429);
    let prompt = body(locked).await;
    assert!(prompt.contains("signing in to this account from here is locked for 15 minutes"));
    assert!(prompt.contains("Cancel"));
}

/// 15. The two-factor screens: the key in groups of four, a way out of each (Cancel on the
/// account page; "Cancel and sign out" on the sign-in step, which ends the half sign-in), and
/// recovery codes that can be copied and downloaded.
#[tokio::test]
async fn two_factor_screens_group_the_key_offer_a_way_out_and_a_download() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, setup) = app.get_html(&owner, "/account/two-factor").await;
    let key = scraper::Html::parse_document(&setup)
        .select(&scraper::Selector::parse("code.key").unwrap())
        .next()
        .expect("the key")
        .inner_html();
    assert!(key.split(' ').all(|group| group.len() <= 4) && key.split(' ').count() >= 8);
    assert!(setup.contains(r#"<a href="/account">Cancel"#));
    let on = app
        .turn_on_two_factor(&owner, "owner@acme.example", &[])
        .await;
    assert_eq!(on.status().as_u16(), 200);
    let codes = body(on).await;
    assert!(codes.contains(r#"data-copy-label="Copy the recovery codes""#));
    let download = attr_of(&codes, "a[download]", "href").expect("a download link");
    assert!(download.starts_with("data:text/plain;charset=utf-8,Pulse%20recovery%20codes"));

    // The sign-in step: a way out that signs the half-signed-in session out.
    let laptop = browser();
    let password = app.login_as(&laptop, "owner@acme.example", PASSWORD).await;
    assert_eq!(password.headers()["location"], "/login/two-factor");
    let (_, step) = app.get_html(&laptop, "/login/two-factor").await;
    assert!(step.contains("Cancel and sign out") && step.contains(r#"action="/logout""#));
    let out = app
        .post_form(&laptop, "/logout", "/login/two-factor", &[])
        .await;
    assert_eq!(out.headers()["location"], "/login");
    let after = laptop
        .get(app.url("/login/two-factor"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 303, "the half sign-in has ended");
}

/// 13. The API documentation: the OpenAPI document's example sends no token (it needs none),
/// every Copy button says what it copies, names and commands do not break mid-word.
#[tokio::test]
async fn the_api_documentation_examples_match_what_each_operation_needs() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, docs) = app.get_html(&owner, "/orgs/acme/api-docs").await;
    assert!(docs.contains(&format!(
        r#"curl "{}/api/v1/openapi.json""#,
        app.url("").trim_end_matches('/')
    )));
    assert!(docs.contains(r#"curl -H "Authorization: Bearer $PULSE_TOKEN" ""#));
    let labels: Vec<String> = scraper::Html::parse_document(&docs)
        .select(&scraper::Selector::parse("[data-copy-snippet]").unwrap())
        .map(|b| {
            b.value()
                .attr("data-copy-label")
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let distinct: std::collections::BTreeSet<_> = labels.iter().collect();
    assert!(
        labels.len() > 3 && distinct.len() == labels.len(),
        "{labels:?}"
    );
    assert!(docs.contains(r#"<code class="name">"#) && docs.contains(r#"<pre tabindex="0">"#));
    // Each answer's fields, nested ones by their path, with what they mean.
    for field in ["next_cursor", "data[].name", "data[].created_at"] {
        assert!(
            docs.contains(&format!(r#"<code class="name">{field}</code>"#)),
            "{field}"
        );
    }
    assert!(docs.contains("RFC 3339, UTC."));
}

/// 10. Import: an unquoted comma is named as such; client names new to the organisation are
/// listed and created only once confirmed; the limit is said before upload; the textarea keeps
/// its lines; a file of 100,000 rows is accepted.
#[tokio::test]
async fn imports_say_what_is_wrong_confirm_new_clients_and_take_100000_rows() {
    const PAGE: &str = "/orgs/acme/import";
    const HEADER: &str =
        "client,respondent_name,respondent_email,score,comment,survey,submitted_at";
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let (_, form) = app.get_html(&owner, PAGE).await;
    assert!(form.contains("Files up to 16 MB") && form.contains(r#"wrap="off""#));

    let comma = format!("{HEADER}\nGlobex,Ann,ann@globex.example,9,Good, fast,Q1,2026-01-05\n");
    let refused = app.post_form(&owner, PAGE, PAGE, &[("csv", &comma)]).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = body(refused).await;
    assert!(html.contains("Line 2: 8 values, expected 7: quote values that contain commas"));
    assert!(
        !html.contains("is not a whole number") && !html.contains("is not an RFC 3339 time"),
        "no misleading field errors"
    );
    assert!(html.contains("1 row needs fixing (1 mistake)"));

    let file = format!("{HEADER}\nGlobex,Ann,ann@globex.example,9,,Q1,2026-01-05\n");
    let asked = app.post_form(&owner, PAGE, PAGE, &[("csv", &file)]).await;
    assert_eq!(asked.status().as_u16(), 200);
    let html = body(asked).await;
    assert!(
        html.contains("<li><strong>Globex</strong></li>") && html.contains("Check the spelling")
    );
    assert!(html.contains("Import and create this client"));
    let names = attr_of(&html, r#"input[name="new_clients"]"#, "value").unwrap();
    let count = |app: &TestApp| {
        let org = app.org_id("acme");
        app.with_conn(|conn| pulse::repo::clients::list(conn, org).unwrap().len())
    };
    assert_eq!(
        count(&app),
        0,
        "nothing created before the names are confirmed"
    );
    let done = app
        .post_form(
            &owner,
            PAGE,
            PAGE,
            &[("csv", &file), ("new_clients", &names)],
        )
        .await;
    assert!(body(done).await.contains("Imported 1 response"));
    assert_eq!(count(&app), 1);
    // A misspelt name in a later file is asked about again; the known one is not.
    let typo = format!("{HEADER}\nGlobx,Bo,bo@globex.example,7,,Q1,2026-01-06\n");
    let asked = body(app.post_form(&owner, PAGE, PAGE, &[("csv", &typo)]).await).await;
    assert!(asked.contains("<li><strong>Globx</strong></li>"));

    // 100,000 rows, about 7 MB: one request, imported whole.
    let mut big = String::from(HEADER);
    for row in 0..100_000 {
        big.push_str(&format!(
            "\nGlobex,Respondent {row},r{row}@globex.example,{},A comment of a few words,Q{},2025-{:02}-{:02}T10:00:00Z",
            row % 11,
            1 + row % 4,
            1 + row % 12,
            1 + row % 28
        ));
    }
    assert!(big.len() > 7_000_000, "{}", big.len());
    let imported = app.post_form(&owner, PAGE, PAGE, &[("csv", &big)]).await;
    assert_eq!(imported.status().as_u16(), 200);
    assert!(body(imported).await.contains("Imported 100000 responses"));
}

/// 4 and 12. Analytics: numbers with thousands separators and a true minus sign, every table
/// cell labelled for a phone, the current month marked partial, months said to be UTC, and a
/// client's CSV named after the client.
#[tokio::test]
async fn analytics_numbers_read_right_and_a_clients_download_names_it() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let recent = app.now() - Duration::days(1);
    let mut rows = vec![("Globex, Inc.", 0, recent); 1200];
    rows.push(("Globex, Inc.", 10, recent));
    crate::data_fixtures::add_feedback(&app, "acme", &rows);
    let (_, html) = app.get_html(&owner, "/orgs/acme/analytics").await;
    assert!(
        html.contains("1,201 responses") && html.contains("months in UTC"),
        "{html}"
    );
    assert!(html.contains("<strong>−99.8</strong>"));
    assert!(!html.contains(">-99.8<"), "no hyphen for a minus");
    assert!(html.contains(r#"data-label="Responses">1,201</td>"#));
    for label in ["Promoters", "Passives", "Detractors", "NPS"] {
        assert!(
            html.contains(&format!(r#"data-label="{label}""#)),
            "{label}"
        );
    }
    assert!(html.contains(r#"<span class="muted">(so far)</span>"#));
    let globex = app.with_conn(|conn| {
        pulse::repo::clients::find_by_name(conn, app.org_id("acme"), "Globex, Inc.")
            .unwrap()
            .unwrap()
            .id
    });
    let csv = owner
        .get(app.url(&format!("/orgs/acme/analytics/export?client={globex}")))
        .send()
        .await
        .unwrap();
    let today = app.now().format("%Y-%m-%d");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"acme-analytics-globex-inc-{today}.csv\"").as_str()
    );
    assert!(
        body(csv).await.contains("-99.8"),
        "the file keeps the API's numbers"
    );
}

/// 11. A token reported exposed is said on every page of the organisation, not only on the
/// token screen, until a new token replaces it; members are not told to generate one.
#[tokio::test]
async fn an_exposed_token_is_said_on_the_organisations_pages_until_replaced() {
    let app = spawn_app().await;
    let owner = app.owner_of("acme").await;
    let token = app.generate_token(&owner, "acme").await;
    let report = format!(
        r#"[{{"token":"{token}","type":"pulse_api_token","url":"https://example.com/leak","source":"content"}}]"#
    );
    let reported = reqwest::Client::new()
        .post(app.url("/api/v1/token-leaks"))
        .header("Content-Type", "application/json")
        .body(report)
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status().as_u16(), 200);
    let (_, home) = app.get_html(&owner, "/orgs/acme").await;
    assert!(home.contains("The organisation's API token was found in public"));
    assert!(home.contains(r#"<a href="/orgs/acme/settings/api">Generate a new token</a>"#));
    app.member("member@acme.example", "acme", Role::Member);
    let member = app.signed_in("member@acme.example").await;
    let (_, theirs) = app.get_html(&member, "/orgs/acme").await;
    assert!(!theirs.contains("found in public"));
    app.generate_token(&owner, "acme").await;
    let (_, replaced) = app.get_html(&owner, "/orgs/acme").await;
    assert!(!replaced.contains("found in public"));
}
