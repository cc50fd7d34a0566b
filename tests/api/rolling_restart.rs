//! Two instances on one PostgreSQL database behind a real nginx (Debian's), configured as
//! `deploy/nginx.conf` says: each instance is restarted in turn as the README says (taken out of
//! nginx, stopped, started, ready, put back), under a steady load of reads and writes, and not
//! one request fails.
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use p256::pkcs8::{EncodePublicKey, LineEnding};
use pulse::api::token_leaks::{KEY_IDENTIFIER_HEADER, SIGNATURE_HEADER};

use crate::databases::{TestDatabase, postgres_required, say, skip_outside_ci};
use crate::leak_reports::{partner_key, signature_of};
use crate::server_process::{ServerProcess, serve_command};

const TEST: &str = "rolling_restart::restarting_each_instance_under_load_fails_no_request";

/// nginx as the repository's recipe configures it, on loopback ports, in its own prefix; the
/// instance `down` (if any) marked `down`, as the README's restart procedure does.
fn nginx_config(
    prefix: &std::path::Path,
    listen: u16,
    upstreams: [u16; 2],
    down: Option<usize>,
) -> String {
    let recipe = include_str!("../../deploy/nginx.conf");
    let mut site = recipe.to_owned();
    let server = |i: usize| {
        let mark = if down == Some(i) { " down" } else { "" };
        format!("server 127.0.0.1:{}{mark} ", upstreams[i])
    };
    for (from, to) in [
        ("server 10.0.0.11:8080 ", server(0)),
        ("server 10.0.0.12:8080 ", server(1)),
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

/// nginx in its own prefix, stopped with its workers when the test ends, however it ends
/// (killing the master alone would leave its workers running).
struct Nginx {
    prefix: tempfile::TempDir,
    listen: u16,
    upstreams: [u16; 2],
    master: std::process::Child,
}

impl Nginx {
    fn start(listen: u16, upstreams: [u16; 2]) -> Self {
        let prefix = tempfile::tempdir().unwrap();
        let config = nginx_config(prefix.path(), listen, upstreams, None);
        std::fs::write(prefix.path().join("nginx.conf"), config).unwrap();
        let master = Self::command(prefix.path(), &[])
            .spawn()
            .expect("start nginx");
        Self {
            prefix,
            listen,
            upstreams,
            master,
        }
    }

    fn command(prefix: &std::path::Path, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new("nginx");
        command
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .args(args);
        command
    }

    /// The master's worker processes now.
    fn workers(&self) -> Vec<u32> {
        let master = self.master.id().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                // `pid (comm) state ppid …`: the parent is the second field after the name.
                std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                    stat.rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                        == Some(master.as_str())
                })
            })
            .collect()
    }

    /// Rewrites the configuration with the instance `down` (if any) marked down, has nginx load
    /// it, and waits (at most 30 s) until the old workers have finished their requests and
    /// exited: from then on no request goes to the instance marked down.
    fn reload(&self, down: Option<usize>) {
        let old = self.workers();
        let config = nginx_config(self.prefix.path(), self.listen, self.upstreams, down);
        std::fs::write(self.prefix.path().join("nginx.conf"), config).unwrap();
        let status = Self::command(self.prefix.path(), &["-s", "reload"])
            .stderr(Stdio::null())
            .status()
            .expect("run nginx -s reload");
        assert!(status.success(), "nginx -s reload");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.workers().iter().any(|pid| old.contains(pid)) {
            assert!(
                std::time::Instant::now() < deadline,
                "nginx's old workers still running 30 s after the reload"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let stopped = Self::command(self.prefix.path(), &["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            let _ = self.master.kill();
        }
        let _ = self.master.wait();
    }
}

fn free_port() -> u16 {
    // nginx needs its ports in its configuration: the instances keep theirs across restarts.
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An instance on `port`; leak reports signed by `partner_pem`'s key (unsigned ones would be
/// limited per address, and every request comes from nginx's).
async fn start_on(url: &str, port: u16, partner_pem: &str) -> ServerProcess {
    let bind = format!("127.0.0.1:{port}");
    let command = serve_command(
        url,
        &[
            ("PULSE_BIND", &bind),
            ("PULSE_API_RATE_LIMIT", "1000000"),
            ("PULSE_LEAK_REPORT_KEYS", partner_pem),
        ],
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
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
async fn restarting_each_instance_under_load_fails_no_request() {
    postgres_required();
    if std::process::Command::new("nginx")
        .arg("-v")
        .output()
        .is_err()
    {
        skip_outside_ci(TEST, "nginx is not installed");
        return;
    }
    let database = TestDatabase::fresh();
    let partner = partner_key(7);
    let partner_pem = partner
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let report = r#"[{"token":"pulse_x","type":"pulse_api_token","url":"https://e.example/a","source":"content"}]"#;
    let signature = signature_of(report, &partner);
    let ports = [free_port(), free_port()];
    let mut instances = [
        start_on(database.url(), ports[0], &partner_pem).await,
        start_on(database.url(), ports[1], &partner_pem).await,
    ];
    instances[0].app.create_org("acme", true);
    let token = instances[0].app.issue_token("acme");
    let listen = free_port();
    let nginx = Nginx::start(listen, ports);
    wait_ready(listen).await;

    let stop = Arc::new(AtomicBool::new(false));
    let base = format!("http://127.0.0.1:{listen}");
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (stop, base, token) = (stop.clone(), base.clone(), token.clone());
            let signature = signature.clone();
            tokio::spawn(async move {
                // A connection per request, as a script or a reporting tool's refresh makes
                // them: nginx's reload closes idle keep-alive connections of its old workers,
                // and a request a client sends on one at that instant is lost (a browser
                // retries it; README).
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .build()
                    .unwrap();
                let (mut done, mut failed) = (0, Vec::new());
                while !stop.load(Ordering::Relaxed) {
                    let request = match worker % 2 {
                        0 => client
                            .get(format!("{base}/api/v1/whoami"))
                            .bearer_auth(&token),
                        _ => client
                            .post(format!("{base}/api/v1/token-leaks"))
                            .header("content-type", "application/json")
                            .header(KEY_IDENTIFIER_HEADER, "partner")
                            .header(SIGNATURE_HEADER, &signature)
                            .body(report),
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
    // Requests flow before, during and after each restart (the load runs throughout).
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (i, port) in ports.into_iter().enumerate() {
        // README, "Several instances behind a load balancer": out of nginx, stop, start, ready,
        // back in; then the next.
        nginx.reload(Some(i));
        instances[i].terminate();
        instances[i].exited(Duration::from_secs(30)).await;
        instances[i] = start_on(database.url(), port, &partner_pem).await;
        wait_ready(port).await;
        nginx.reload(None);
        tokio::time::sleep(Duration::from_secs(1)).await;
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
