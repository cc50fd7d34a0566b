//! A request body that trickles in is cut off, as a slow request head is (review finding 9): a
//! real client over TCP dripping a form a byte at a time gets 408 and a closed connection within
//! the body timeout, instead of holding the connection for as long as it likes.
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_body_that_trickles_in_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let address = app.address.strip_prefix("http://").unwrap();
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = "POST /login HTTP/1.1\r\nHost: pulse.test\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    // A byte every 200 ms would take 20 s for the whole body.
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut answer = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(8), reader.read_to_end(&mut answer)).await;
    drip.abort();
    assert!(closed.is_ok(), "the server kept the connection open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_large_body_at_a_reasonable_pace_is_not_cut() {
    // A 10 KiB form sent in 1 KiB pieces over 1.5 s: past the 1 s allowance, but at about
    // 7 KiB/s, far above the slowest rate allowed, so it is read and answered (here: a CSRF
    // refusal, the form carrying no token).
    let app = spawn_app_with(|c| c.body_timeout = Duration::from_secs(1)).await;
    let address = app.address.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let length = 10 * 1024;
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: pulse.test\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..10 {
        stream.write_all(&[b'a'; 1024]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(8), stream.read_to_end(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}
