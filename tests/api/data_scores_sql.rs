//! The NPS aggregates are computed by the database; check them on hand-computed fixtures.
use pulse::domain::nps::Counts;
use pulse::domain::scores;
use pulse::repo::clients;
use pulse::repo::feedback::{Filter, Period};

use crate::data_fixtures::{add_feedback, at};
use crate::helpers::spawn_app;

#[tokio::test]
async fn totals_and_groups_match_hand_computed_counts() {
    let app = spawn_app().await;
    app.create_org("acme", true);
    app.create_org("other", true);
    add_feedback(
        &app,
        "acme",
        &[
            ("Globex", 10, at("2026-01-05")),
            ("Globex", 9, at("2026-01-31")),
            ("Globex", 6, at("2026-02-01")),
            ("Initech", 7, at("2026-02-14")),
            ("Initech", 0, at("2026-04-01")),
            ("Initech", 8, at("2026-04-02")),
        ],
    );
    // Another organisation's responses never count.
    add_feedback(&app, "other", &[("Globex", 0, at("2026-01-05"))]);
    let org = app.org_id("acme");

    app.with_conn(|conn| {
        let all = Filter::default();
        let totals = scores::totals(conn, org, &all).unwrap();
        assert_eq!(totals, Counts::from_categories((2, 2, 2)));
        assert_eq!(totals.nps(), Some(0.0));

        let months = scores::by_period(conn, org, &all, Period::Month).unwrap();
        let labels: Vec<&str> = months.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-04"]);
        assert_eq!(months[0].1, Counts::from_categories((2, 0, 0)));
        assert_eq!(months[1].1, Counts::from_categories((0, 1, 1)));

        let quarters = scores::by_period(conn, org, &all, Period::Quarter).unwrap();
        assert_eq!(
            quarters,
            [
                ("2026-Q1".to_owned(), Counts::from_categories((2, 1, 1))),
                ("2026-Q2".to_owned(), Counts::from_categories((0, 1, 1))),
            ]
        );

        let globex = clients::find_by_name(conn, org, "Globex").unwrap().unwrap();
        let by_client = scores::by_client(conn, org, &all).unwrap();
        let (client, counts) = &by_client[0];
        assert_eq!(client.id, globex.id, "clients by name");
        assert_eq!(*counts, Counts::from_categories((2, 0, 1)));
        assert_eq!(counts.nps(), Some(33.3));

        // since is inclusive, until exclusive; filters combine.
        let february = Filter {
            since: Some(at("2026-02-01")),
            until: Some(at("2026-04-01")),
            ..Filter::default()
        };
        assert_eq!(
            scores::totals(conn, org, &february).unwrap(),
            Counts::from_categories((0, 1, 1))
        );
        let empty = Filter {
            min_score: Some(11),
            ..Filter::default()
        };
        let none = scores::totals(conn, org, &empty).unwrap();
        assert_eq!(none, Counts::default());
        assert_eq!(none.nps(), None);
    });
}

#[tokio::test]
async fn seed_demo_adds_a_year_of_feedback_with_client_trends() {
    use chrono::Duration;
    use pulse::domain::demo;
    let app = spawn_app().await;
    let now = app.now();
    app.with_conn(|conn| demo::seed(conn, now).unwrap());
    let org = app.org_id("acme");
    app.with_conn(|conn| {
        let months = scores::by_period(conn, org, &Filter::default(), Period::Month).unwrap();
        assert!(months.len() >= 12, "{months:?}");
        let clients = clients::list(conn, org).unwrap();
        assert!(clients.len() >= 3);
        let mut nps = |name: &str, since: i64, until: i64| {
            let client = clients.iter().find(|c| c.name == name).unwrap();
            let filter = Filter {
                client_id: Some(client.id),
                since: Some(now - Duration::days(since)),
                until: Some(now - Duration::days(until)),
                ..Filter::default()
            };
            scores::totals(conn, org, &filter).unwrap().nps().unwrap()
        };
        // Globex improves over the year, Initech declines.
        assert!(nps("Globex Corporation", 365, 270) + 30.0 < nps("Globex Corporation", 90, 0));
        assert!(nps("Initech", 365, 270) > nps("Initech", 90, 0) + 30.0);
    });
    let northwind = app.org_id("northwind");
    let total = app.with_conn(|conn| scores::totals(conn, northwind, &Filter::default()).unwrap());
    assert!(total.responses > 100);
}
