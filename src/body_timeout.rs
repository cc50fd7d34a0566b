//! Slow request bodies are cut, as actix-web cuts slow request heads: a body must arrive within
//! `Config::body_timeout`, plus a second for every `MIN_BYTES_PER_SECOND` bytes received (a big
//! upload on a slow line still makes it; a client dripping a byte every few seconds to hold a
//! connection does not). The request then gets `408 Request Timeout` and its connection closes.
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::state::AppState;

/// The slowest rate a body may keep up once its first `body_timeout` has passed.
pub const MIN_BYTES_PER_SECOND: u64 = 500;

/// A request's body stream with a deadline that moves on as bytes arrive.
struct Deadline {
    inner: Payload,
    started: Instant,
    allowance: Duration,
    received: u64,
    timer: Pin<Box<Sleep>>,
    cut: Rc<Cell<bool>>,
}

impl Deadline {
    fn due(&self) -> Instant {
        self.started
            + self.allowance
            + Duration::from_millis(self.received * 1000 / MIN_BYTES_PER_SECOND)
    }

    fn cut_off(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.cut.set(true);
        let slow = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
        Poll::Ready(Some(Err(PayloadError::Io(slow))))
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.cut.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if Instant::now() >= this.due() {
                    return this.cut_off();
                }
                this.received += chunk.len() as u64;
                let due = this.due();
                this.timer.as_mut().reset(due);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => this.cut_off(),
                Poll::Pending => Poll::Pending,
            },
            done => done,
        }
    }
}

/// Middleware for every route: bounds the time a request's body may take to arrive.
pub async fn cut_slow_bodies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(allowance) = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.body_timeout)
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let cut = Rc::new(Cell::new(false));
    let started = Instant::now();
    let deadline = Deadline {
        inner: req.take_payload(),
        started,
        allowance,
        received: 0,
        timer: Box::pin(tokio::time::sleep_until(started + allowance)),
        cut: cut.clone(),
    };
    req.set_payload(Payload::from(
        Box::pin(deadline) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let response = next.call(req).await?;
    if !cut.get() {
        return Ok(response.map_into_left_body());
    }
    tracing::info!("request body too slow; connection closed");
    let (req, _) = response.into_parts();
    let timeout = HttpResponse::RequestTimeout()
        .force_close()
        .content_type("text/plain; charset=utf-8")
        .body("The request body arrived too slowly.");
    Ok(ServiceResponse::new(req, timeout).map_into_right_body())
}
