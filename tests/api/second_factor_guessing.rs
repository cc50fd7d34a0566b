//! Guessing second-factor codes once the password is known (review finding 1): wrong codes have
//! their own count, which a right password does not clear; each pending sign-in may give only a
//! few; guessing from many places changes nothing; the account holder is told.
use chrono::Duration;
use pulse::domain::two_factor::{MAX_CODES_PER_SIGN_IN, MAX_SECOND_FACTOR_FAILURES};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::places::browser_at;
use crate::second_factor::totp_code;
use crate::two_factor::{give, password_given, secret_of};

/// An account with an authenticator: staff, enrolled at a first sign-in.
async fn enrolled(app: &TestApp) -> String {
    app.create_user("staff@pulse.example", true);
    app.signed_in("staff@pulse.example").await;
    app.advance(Duration::seconds(30));
    secret_of(app, "staff@pulse.example").unwrap()
}

#[tokio::test]
async fn a_right_password_does_not_clear_the_count_of_wrong_codes() {
    let app = spawn_app().await;
    let secret = enrolled(&app).await;
    // Password, a wrong code or two, password again…: the wrong codes add up all the same.
    let mut wrong = 0;
    while wrong < MAX_SECOND_FACTOR_FAILURES {
        let client = password_given(&app, "staff@pulse.example").await;
        for _ in 0..2.min(MAX_SECOND_FACTOR_FAILURES - wrong) {
            assert_eq!(give(&app, &client, "123456").await.status(), 401);
            wrong += 1;
        }
    }
    let client = password_given(&app, "staff@pulse.example").await;
    let right = give(&app, &client, &totp_code(&secret, app.now())).await;
    assert_eq!(right.status(), 429, "locked, even for the right code");
    assert!(right.headers().contains_key("retry-after"));
    // That pending sign-in is over; the password itself is not locked by wrong codes.
    assert_eq!(app.status_of(&client, "/login/two-factor").await, 303);
    let again = app
        .login_as(&crate::helpers::browser(), "staff@pulse.example", PASSWORD)
        .await;
    assert_eq!(again.status(), 303);
    // Once the window has passed, the right code signs in, and the account page tells of the
    // guessing, once.
    app.advance(Duration::minutes(16));
    let staff = password_given(&app, "staff@pulse.example").await;
    assert_eq!(
        give(&app, &staff, &totp_code(&secret, app.now()))
            .await
            .status(),
        303
    );
    let (_, account) = app.get_html(&staff, "/account").await;
    let notice = "The right password was followed by wrong second-factor codes";
    assert_eq!(account.matches(notice).count(), 1, "{account}");
}

#[tokio::test]
async fn a_pending_sign_in_ends_after_its_few_wrong_codes() {
    let app = spawn_app().await;
    let secret = enrolled(&app).await;
    let client = password_given(&app, "staff@pulse.example").await;
    for _ in 1..MAX_CODES_PER_SIGN_IN {
        assert_eq!(give(&app, &client, "000000").await.status(), 401);
    }
    let last = give(&app, &client, "000000").await;
    assert_eq!(last.status(), 303);
    assert_eq!(last.headers()["location"], "/login?ended=codes");
    let (_, login) = app.get_html(&client, "/login?ended=codes").await;
    assert!(login.contains("Too many wrong codes"), "{login}");
    // The right code no longer helps that sign-in: it has ended.
    let code = totp_code(&secret, app.now());
    let fields = [("code", code.as_str())];
    let late = app
        .post_form(&client, "/login/two-factor", "/login", &fields)
        .await;
    assert_eq!(late.status(), 303);
    assert_eq!(
        app.status_of(&client, "/staff/orgs").await,
        303,
        "not signed in"
    );
}

#[tokio::test]
async fn codes_from_twenty_five_places_are_evaluated_no_more_than_from_one() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    enrolled(&app).await;
    let (mut evaluated, mut refused) = (0, 0);
    for place in 0..25 {
        let client = browser_at(&format!("2001:db8:{place:x}::1"));
        let password = app.login_as(&client, "staff@pulse.example", PASSWORD).await;
        assert_eq!(password.status(), 303);
        for guess in 0..4 {
            let code = format!("{:06}", place * 4 + guess);
            let status = give(&app, &client, &code).await.status().as_u16();
            match status {
                429 => refused += 1,
                401 | 303 => evaluated += 1,
                other => panic!("unexpected {other}"),
            }
            if status != 401 {
                break; // this pending sign-in has ended
            }
        }
    }
    assert_eq!(evaluated, MAX_SECOND_FACTOR_FAILURES, "{refused} refused");
}
