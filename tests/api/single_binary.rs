//! One self-contained binary: its stylesheet, script and icon are compiled in, linked under
//! names carrying their digest and cached for a year; a copy of `pulse` serves styled pages from
//! anywhere, with its source tree out of reach.
use std::process::Stdio;

use crate::databases::skip_outside_ci;
use crate::helpers::{attr_of, browser, spawn_app};
use crate::server_process::ServerProcess;

/// The stylesheet, script and icon a page links, each fetched: (href, body).
async fn linked_assets(base: &str) -> Vec<(String, reqwest::Response)> {
    let client = browser();
    let login = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    let mut assets = Vec::new();
    for (css, attr) in [
        (r#"link[rel="stylesheet"]"#, "href"),
        ("script[src]", "src"),
        (r#"link[rel="icon"]"#, "href"),
    ] {
        let href = attr_of(&html, css, attr).unwrap_or_else(|| panic!("no {css} in {html}"));
        let response = client.get(format!("{base}{href}")).send().await.unwrap();
        assets.push((href, response));
    }
    assets
}

#[track_caller]
fn assert_styled(assets: &[(String, String)]) {
    let expected = [
        include_str!("../../static/app.css"),
        include_str!("../../static/app.js"),
        include_str!("../../static/favicon.svg"),
    ];
    for ((href, body), expected) in assets.iter().zip(expected) {
        assert_eq!(body, expected, "{href} is not the file from static/");
    }
}

#[tokio::test]
async fn pages_link_versioned_static_files_that_are_cached_for_a_year() {
    let app = spawn_app().await;
    let mut bodies = Vec::new();
    for (href, response) in linked_assets(&app.address).await {
        assert!(
            href.starts_with("/static/") && href.split('.').count() == 3,
            "{href} carries no digest"
        );
        assert_eq!(response.status(), 200, "{href}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{href}"
        );
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = ["text/css", "text/javascript", "image/svg+xml"];
        assert!(
            expected.iter().any(|k| kind.starts_with(k)),
            "{href}: {kind}"
        );
        bodies.push((href, response.text().await.unwrap()));
    }
    assert_styled(&bodies);
    // The plain name (a page of the previous release during a rolling upgrade) still works, but
    // is revalidated; anything else is a 404.
    let plain = browser()
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["cache-control"], "public, no-cache");
    let head = browser().head(app.url(&bodies[0].0)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    for missing in ["/static/app.css.map", "/static/../Cargo.toml", "/static/"] {
        let status = browser()
            .get(app.url(missing))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{missing}");
    }
}

/// Whether this process may make a mount namespace (root with `unshare`); in CI, which runs as
/// root, it must.
fn can_hide_the_source_tree(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    let unshare = std::process::Command::new("unshare")
        .args(["--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if root && unshare {
        return true;
    }
    skip_outside_ci(test, "needs root and unshare(1) to hide the source tree");
    false
}

#[tokio::test]
async fn a_copied_binary_serves_styled_pages_with_its_source_tree_out_of_reach() {
    let test =
        "single_binary::a_copied_binary_serves_styled_pages_with_its_source_tree_out_of_reach";
    if !can_hide_the_source_tree(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("pulse");
    std::fs::copy(env!("CARGO_BIN_EXE_pulse"), &binary).unwrap();
    let source = env!("CARGO_MANIFEST_DIR");
    // A private mount namespace in which an empty tmpfs lies over the source tree (and the
    // build directory inside it); the copy runs from its own directory with a relative database.
    let script =
        r#"mount -t tmpfs none "$1" && test ! -e "$1/static/app.css" && exec "$2" serve --create"#;
    let mut command = tokio::process::Command::new("unshare");
    command
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            source,
        ])
        .arg(&binary)
        .current_dir(dir.path())
        .env("DATABASE_URL", "pulse.db")
        .env("PULSE_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    let database = dir.path().join("pulse.db").display().to_string();
    let server = ServerProcess::spawn(command, &database, Stdio::inherit()).await;
    let mut bodies = Vec::new();
    for (href, response) in linked_assets(&server.app.address).await {
        assert_eq!(response.status(), 200, "{href}");
        bodies.push((href, response.text().await.unwrap()));
    }
    assert_styled(&bodies);
    assert!(
        dir.path().join("pulse.db").exists(),
        "the database is where it was told"
    );
}
