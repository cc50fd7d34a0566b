//! "Forgot your password?": the same answer whether or not an account has the address, a
//! single-use link by mail valid an hour (stored as a digest, dead once used or once a newer one
//! is sent), throttled per address asked about and per client address; setting the password
//! applies the policy, ends every session, tells the person, and still asks for the second
//! factor at the next sign-in.
use chrono::Duration;
use diesel::prelude::*;
use pulse::db::schema::{mail_outbox, password_resets};
use pulse::domain::password_reset::{MAX_REQUESTS_PER_ACCOUNT, MAX_REQUESTS_PER_ADDRESS};

use crate::helpers::{PASSWORD, TestApp, attr_of, body, browser, extract_csrf};
use crate::mail_helpers::spawn_app_mailing_to;
use crate::smtp_sink::SmtpSink;

const ANN: &str = "ann@example.com";
const NEW_PASSWORD: &str = "a brand new passphrase for ann";

/// Asks for a link for `email` the way a browser fills the form.
async fn ask(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    app.post_form(
        client,
        "/forgot-password",
        "/forgot-password",
        &[("email", email)],
    )
    .await
}

/// Delivers the mail due, and returns the link of the latest reset message to `email`.
async fn link_in_mail(app: &TestApp, sink: &SmtpSink, email: &str) -> String {
    app.deliver_mail().await;
    let mail = sink
        .to(email)
        .into_iter()
        .rev()
        .find(|m| m.subject == "Reset your Pulse password");
    let mail = mail.expect("a reset message");
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("one hour"), "{part}");
        assert!(part.contains(" UTC"), "{part}");
    }
    let link = mail.link_after("Choose a new password");
    assert!(
        link.starts_with(&app.url("/reset-password?token=")),
        "{link}"
    );
    assert!(
        mail.html.contains(&format!("href=\"{link}\"")),
        "{}",
        mail.html
    );
    link
}

/// Follows `link`, then sets `password` on the form it leads to.
async fn set_password(
    app: &TestApp,
    client: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let form = client.get(link).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(form.headers()["referrer-policy"], "strict-origin");
    let html = body(form).await;
    let token =
        attr_of(&html, r#"input[name="token"]"#, "value").expect("the link's token on the form");
    let csrf = extract_csrf(&html).unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("new_password", password),
    ];
    app.post_raw(client, "/reset-password", &fields).await
}

#[tokio::test]
async fn the_sign_in_page_offers_a_way_back() {
    let app = crate::helpers::spawn_app().await;
    let (_, page) = app.get_html(&browser(), "/login").await;
    assert_eq!(
        attr_of(&page, r#"a[href="/forgot-password"]"#, "href").as_deref(),
        Some("/forgot-password")
    );
    let (status, form) = app.get_html(&browser(), "/forgot-password").await;
    assert_eq!(status, 200);
    assert!(
        form.contains(r#"name="email""#) && extract_csrf(&form).is_some(),
        "{form}"
    );
}

#[tokio::test]
async fn the_answer_is_the_same_whether_or_not_an_account_has_the_address() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user(ANN, false);
    let mut answers = Vec::new();
    for email in [ANN, "nobody@example.com"] {
        let response = ask(&app, &browser(), email).await;
        let status = response.status();
        let mut headers: Vec<String> = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "date")
            .map(|(name, value)| format!("{name}: {value:?}"))
            .collect();
        headers.sort();
        answers.push((status, headers, body(response).await));
    }
    assert_eq!(answers[0].0, 200);
    assert!(
        answers[0].2.contains("If an account uses that address"),
        "{}",
        answers[0].2
    );
    assert_eq!(answers[0], answers[1], "the same status, headers and bytes");

    // The same work was done for both: a link row each, a message row each; only Ann's goes.
    let links: i64 = app.with_conn(|conn| password_resets::table.count().get_result(conn).unwrap());
    assert_eq!(links, 2);
    assert_eq!(
        app.outbox_of("password_reset"),
        [
            (ANN.to_owned(), "queued".to_owned()),
            ("nobody@example.com".to_owned(), "dropped".to_owned())
        ]
    );
    app.deliver_mail().await;
    assert_eq!(sink.arrived().len(), 1);
    assert!(sink.to("nobody@example.com").is_empty());
    // Staff can see that the request came.
    app.create_user("staff@pulse.example", true);
    let staff = app.signed_in("staff@pulse.example").await;
    let (_, outbox) = app.get_html(&staff, "/staff/mail?state=dropped").await;
    assert!(
        outbox.contains("nobody@example.com") && outbox.contains("No account has this address"),
        "{outbox}"
    );
    // A malformed address is refused (which says nothing about accounts).
    let bad = ask(&app, &browser(), "not an address").await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_link_in_the_mail_sets_a_new_password_ends_every_session_and_tells_the_person() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user(ANN, false);
    let signed_in_elsewhere = app.signed_in(ANN).await;
    let visitor = browser();
    assert_eq!(ask(&app, &visitor, ANN).await.status(), 200);
    let link = link_in_mail(&app, &sink, ANN).await;
    // Only the digest is stored, and the message forgets the secret once sent.
    let secret = link.rsplit('=').next().unwrap().to_owned();
    let stored: Vec<String> = app.with_conn(|conn| {
        password_resets::table
            .select(password_resets::digest)
            .load(conn)
            .unwrap()
    });
    assert!(stored.iter().all(|d| !d.contains(&secret)));
    let kept: Vec<Option<String>> = app.with_conn(|conn| {
        mail_outbox::table
            .select(mail_outbox::link_secret)
            .load(conn)
            .unwrap()
    });
    assert!(kept.iter().all(Option::is_none), "{kept:?}");

    // The password policy applies, and a refusal changes nothing.
    let weak = set_password(&app, &visitor, &link, "password1234").await;
    assert_eq!(weak.status(), 400);
    assert!(body(weak).await.contains("too easy to guess"));
    assert_eq!(
        app.status_of(&signed_in_elsewhere, "/account").await,
        200,
        "still signed in"
    );

    let done = set_password(&app, &visitor, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/login?reset=done");
    let (_, login) = app.get_html(&visitor, "/login?reset=done").await;
    assert!(login.contains("Your password has been changed"), "{login}");
    assert_eq!(
        app.status_of(&signed_in_elsewhere, "/account").await,
        303,
        "every session ended"
    );
    assert_eq!(
        app.login_as(&browser(), ANN, PASSWORD).await.status(),
        401,
        "the old password is gone"
    );
    assert_eq!(
        app.login_as(&browser(), ANN, NEW_PASSWORD).await.status(),
        303
    );

    app.deliver_mail().await;
    let told = sink.one_to(ANN, "Your Pulse password was changed");
    assert!(
        told.text.contains("with a password-reset link"),
        "{}",
        told.text
    );

    // Used once, the link is dead.
    let again = visitor.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 400);
    assert!(body(again).await.contains("already been used"));
    let reused = app
        .post_form(
            &visitor,
            "/reset-password",
            "/forgot-password",
            &[
                ("token", &secret),
                ("new_password", "yet another long passphrase"),
            ],
        )
        .await;
    assert_eq!(reused.status(), 400);
    assert_eq!(
        app.login_as(&browser(), ANN, NEW_PASSWORD).await.status(),
        303,
        "unchanged"
    );
}

#[tokio::test]
async fn a_link_dies_when_a_newer_one_is_sent_and_after_an_hour() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user(ANN, false);
    ask(&app, &browser(), ANN).await;
    let older = link_in_mail(&app, &sink, ANN).await;
    ask(&app, &browser(), ANN).await;
    let newer = link_in_mail(&app, &sink, ANN).await;
    assert_ne!(older, newer);
    let replaced = browser().get(&older).send().await.unwrap();
    assert_eq!(replaced.status(), 400);
    assert!(body(replaced).await.contains("A newer link has been sent"));

    app.advance(Duration::minutes(59));
    let visitor = browser();
    let form = visitor.get(&newer).send().await.unwrap();
    assert_eq!(form.status(), 200, "still valid after 59 minutes");
    let csrf = extract_csrf(&body(form).await).unwrap();
    app.advance(Duration::minutes(2));
    let secret = newer.rsplit('=').next().unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", secret),
        ("new_password", NEW_PASSWORD),
    ];
    let expired = app.post_raw(&visitor, "/reset-password", &fields).await;
    assert_eq!(expired.status(), 400);
    assert!(body(expired).await.contains("This link has expired"));
    assert_eq!(
        app.login_as(&browser(), ANN, PASSWORD).await.status(),
        303,
        "unchanged"
    );
    let unknown = browser()
        .get(app.url("/reset-password?token=madeup"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(body(unknown).await.contains("This link is not valid"));
}

#[tokio::test]
async fn requests_are_throttled_per_address_asked_about_and_per_client() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user(ANN, false);
    for email in [ANN, "nobody@example.com"] {
        for _ in 0..MAX_REQUESTS_PER_ACCOUNT {
            assert_eq!(ask(&app, &browser(), email).await.status(), 200);
        }
        let refused = ask(&app, &browser(), email).await;
        assert_eq!(
            refused.status(),
            429,
            "{email}: the same answer, account or not"
        );
        assert!(refused.headers().contains_key("retry-after"));
    }
    let sent = sink.arrived().len();
    app.deliver_mail().await;
    assert_eq!(
        sink.arrived().len() - sent,
        MAX_REQUESTS_PER_ACCOUNT as usize
    );
    // From one client address, across many addresses asked about.
    let asked = 2 * MAX_REQUESTS_PER_ACCOUNT;
    for n in asked..MAX_REQUESTS_PER_ADDRESS {
        assert_eq!(
            ask(&app, &browser(), &format!("n{n}@example.com"))
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        ask(&app, &browser(), "one-more@example.com").await.status(),
        429
    );
    // The window passes.
    app.advance(Duration::minutes(16));
    assert_eq!(ask(&app, &browser(), ANN).await.status(), 200);
}

#[tokio::test]
async fn two_factor_is_still_asked_for_after_a_reset() {
    let sink = SmtpSink::start();
    let app = spawn_app_mailing_to(&sink).await;
    app.create_user("staff@pulse.example", true);
    app.signed_in("staff@pulse.example").await; // enrols the authenticator
    ask(&app, &browser(), "staff@pulse.example").await;
    let link = link_in_mail(&app, &sink, "staff@pulse.example").await;
    assert_eq!(
        set_password(&app, &browser(), &link, NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let signing_in = app
        .login_as(&browser(), "staff@pulse.example", NEW_PASSWORD)
        .await;
    assert_eq!(signing_in.status(), 303);
    assert_eq!(signing_in.headers()["location"], "/login/two-factor");
}
