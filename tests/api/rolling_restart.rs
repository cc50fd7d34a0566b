//! Two instances on one PostgreSQL database behind a real nginx (Debian's), configured as
//! `deploy/nginx.conf` says: each instance is restarted in turn, waiting as the README says,
//! under a steady load of reads and writes, and not one request fails.
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::databases::{TestDatabase, postgres_or_skip, say, skip_outside_ci};
use crate::server_process::{ServerProcess, serve_command};

const TEST: &str = "rolling_restart::restarting_each_instance_under_load_fails_no_request";

/// nginx as the repository's recipe configures it, on loopback ports, in its own prefix.
fn nginx_config(prefix: &std::path::Path, listen: u16, upstreams: [u16; 2]) -> String {
    let recipe = include_str!("../../deploy/nginx.conf");
    let mut site = recipe.to_owned();
    for (from, to) in [
        (
            "server 10.0.0.11:8080",
            format!("server 127.0.0.1:{}", upstreams[0]),
        ),
        (
            "server 10.0.0.12:8080",
            format!("server 127.0.0.1:{}", upstreams[1]),
        ),
        ("listen 443 ssl;", format!("listen 127.0.0.1:{listen};")),
    ] {
        assert!(
            site.contains(from),
            "deploy/nginx.conf no longer has {from:?}"
        );
        site = site.replace(from, &to);
    }
    let p = prefix.display();
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    format!(
        "{user}daemon off;\nmaster_process on;\nworker_processes 1;\npid {p}/nginx.pid;\n\
         error_log {p}/error.log warn;\nevents {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {p}/body;\n proxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\n uwsgi_temp_path {p}/uwsgi;\n scgi_temp_path {p}/scgi;\n{site}\n}}\n",
        user = if root { "user root root;\n" } else { "" }
    )
}

fn free_port() -> u16 {
    // nginx needs its ports in its configuration: the instances keep theirs across restarts.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_on(url: &str, port: u16) -> ServerProcess {
    let bind = format!("127.0.0.1:{port}");
    let command = serve_command(
        url,
        &[("PULSE_BIND", &bind), ("PULSE_API_RATE_LIMIT", "1000000")],
    );
    ServerProcess::spawn(command, url, Stdio::null()).await
}

async fn wait_ready(port: u16) {
    for _ in 0..200 {
        let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await;
        if ready.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("instance on {port} never became ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarting_each_instance_under_load_fails_no_request() {
    if postgres_or_skip(TEST).is_none() {
        return;
    }
    if std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .is_err()
    {
        skip_outside_ci(TEST, "nginx is not installed");
        return;
    }
    let database = TestDatabase::fresh();
    let ports = [free_port(), free_port()];
    let mut instances = [
        start_on(database.url(), ports[0]).await,
        start_on(database.url(), ports[1]).await,
    ];
    instances[0].app.create_org("acme", true);
    let token = instances[0].app.issue_token("acme");
    let prefix = tempfile::tempdir().unwrap();
    let listen = free_port();
    let config = prefix.path().join("nginx.conf");
    std::fs::write(&config, nginx_config(prefix.path(), listen, ports)).unwrap();
    let _nginx = tokio::process::Command::new("nginx")
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(&config)
        .kill_on_drop(true)
        .spawn()
        .expect("start nginx");
    wait_ready(listen).await;

    let stop = Arc::new(AtomicBool::new(false));
    let base = format!("http://127.0.0.1:{listen}");
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (stop, base, token) = (stop.clone(), base.clone(), token.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let (mut done, mut failed) = (0, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    let request = match worker % 2 {
                        0 => client.get(format!("{base}/api/v1/whoami")).bearer_auth(&token),
                        _ => client
                            .post(format!("{base}/api/v1/token-leaks"))
                            .header("content-type", "application/json")
                            .body(r#"[{"token":"pulse_x","type":"pulse_api_token","url":"https://e.example/a","source":"content"}]"#),
                    };
                    match request.send().await {
                        Ok(r) if r.status() == 200 => done += 1,
                        Ok(r) => failed.push(r.status().to_string()),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
                (done, failed)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (i, port) in ports.into_iter().enumerate() {
        instances[i].terminate();
        instances[i].exited(Duration::from_secs(30)).await;
        instances[i] = start_on(database.url(), port).await;
        // README: wait until it is ready, then nginx's fail_timeout, before the next one.
        wait_ready(port).await;
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut done, mut failed) = (0, Vec::new());
    for worker in workers {
        let (d, f) = worker.await.unwrap();
        done += d;
        failed.extend(f);
    }
    say(&format!(
        "{TEST}: {done} requests through two restarts, {} failed",
        failed.len()
    ));
    assert!(done > 100, "the load ran: {done}");
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(10)]
    );
}
