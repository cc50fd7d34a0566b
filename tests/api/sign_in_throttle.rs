//! Guessing passwords (review findings 4 and 11): counted and decided in one transaction, so
//! parallel guesses cannot slip past the limit; per account and place first, so a stranger's
//! guesses lock out the stranger and not the owner at their usual place; IPv6 by /64.
use pulse::domain::accounts::{
    MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_PLACE,
};

use crate::helpers::{PASSWORD, browser, spawn_app, spawn_app_with};

const WRONG: &str = "not the password at all";

#[tokio::test]
async fn of_thirty_parallel_wrong_passwords_at_most_five_are_evaluated() {
    let app = spawn_app().await;
    app.create_user("ann@example.com", false);
    let guesses = (0..30).map(|_| {
        let app = &app;
        async move {
            let client = browser();
            app.login_as(&client, "ann@example.com", WRONG)
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(evaluated + refused, 30, "{statuses:?}");
    assert!(
        evaluated as i64 <= MAX_FAILURES_PER_PLACE,
        "{evaluated} of 30 parallel guesses were evaluated: {statuses:?}"
    );
    // And the lock holds for the right password from here.
    assert_eq!(
        app.login_as(&browser(), "ann@example.com", PASSWORD)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn a_strangers_guesses_do_not_lock_the_owner_out_of_their_usual_place() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_user("ann@example.com", false);
    let home = "198.51.100.7";
    assert_eq!(
        app.sign_in_status_from(home, "ann@example.com", PASSWORD)
            .await,
        303
    );

    // A stranger guesses from one place: locked out there, even with the right password.
    for _ in 0..MAX_FAILURES_PER_PLACE {
        assert_eq!(
            app.sign_in_status_from("203.0.113.9", "ann@example.com", WRONG)
                .await,
            401
        );
    }
    let stranger = app
        .sign_in_status_from("203.0.113.9", "ann@example.com", PASSWORD)
        .await;
    assert_eq!(stranger, 429);
    assert_eq!(
        app.sign_in_status_from(home, "ann@example.com", PASSWORD)
            .await,
        303
    );

    // Guessing from many places reaches the account's ceiling: strangers are refused everywhere,
    // the owner at home is not.
    let places = MAX_FAILURES_PER_ACCOUNT / MAX_FAILURES_PER_PLACE;
    for place in 1..places {
        let addr = format!("203.0.113.{}", 10 + place);
        for _ in 0..MAX_FAILURES_PER_PLACE {
            assert_eq!(
                app.sign_in_status_from(&addr, "ann@example.com", WRONG)
                    .await,
                401
            );
        }
    }
    let new_place = app
        .sign_in_status_from("192.0.2.200", "ann@example.com", PASSWORD)
        .await;
    assert_eq!(new_place, 429, "over the account's ceiling");
    assert_eq!(
        app.sign_in_status_from(home, "ann@example.com", PASSWORD)
            .await,
        303
    );

    // She is told once that her account is being guessed at.
    let ann = crate::places::browser_at(home);
    assert_eq!(
        app.login_as(&ann, "ann@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    let (_, account) = app.get_html(&ann, "/account").await;
    assert_eq!(
        account.matches("Many wrong passwords were entered").count(),
        1,
        "{account}"
    );
}

#[tokio::test]
async fn a_scanner_behind_an_office_address_does_not_lock_out_the_people_there() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let office = "198.51.100.50";
    app.create_user("ann@example.com", false);
    app.create_user("newcomer@example.com", false);
    assert_eq!(
        app.sign_in_status_from(office, "ann@example.com", PASSWORD)
            .await,
        303
    );
    for i in 0..MAX_FAILURES_PER_ADDRESS {
        let guessed = format!("guess{i}@example.com");
        assert_eq!(app.sign_in_status_from(office, &guessed, WRONG).await, 401);
    }
    // The office's address is locked for accounts never signed in from there...
    let newcomer = app
        .sign_in_status_from(office, "newcomer@example.com", PASSWORD)
        .await;
    assert_eq!(newcomer, 429);
    // ...but not for those who use it.
    assert_eq!(
        app.sign_in_status_from(office, "ann@example.com", PASSWORD)
            .await,
        303
    );
}

#[tokio::test]
async fn an_ipv6_client_is_one_place_across_its_64() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    app.create_user("ann@example.com", false);
    for host in 1..=MAX_FAILURES_PER_PLACE {
        let addr = format!("2001:db8:7:1::{host:x}");
        assert_eq!(
            app.sign_in_status_from(&addr, "ann@example.com", WRONG)
                .await,
            401
        );
    }
    let same_64 = app
        .sign_in_status_from("2001:db8:7:1:ffff::1", "ann@example.com", PASSWORD)
        .await;
    assert_eq!(same_64, 429, "hopping within the /64 changes nothing");
    let next_64 = app
        .sign_in_status_from("2001:db8:7:2::1", "ann@example.com", PASSWORD)
        .await;
    assert_eq!(next_64, 303);
}
