//! A bound on how many of one kind of heavy work run at once, for synchronous code on the
//! blocking pool. Past the bound callers queue; past the queue they are refused at once, so a
//! flood cannot pile up threads and memory behind the gate either.
use std::sync::{Condvar, Mutex};

use crate::error::AppError;

pub struct Gate {
    /// (running, waiting)
    counts: Mutex<(usize, usize)>,
    freed: Condvar,
    running_max: usize,
    waiting_max: usize,
}

impl Gate {
    pub const fn new(running_max: usize, waiting_max: usize) -> Self {
        Self {
            counts: Mutex::new((0, 0)),
            freed: Condvar::new(),
            running_max,
            waiting_max,
        }
    }

    /// Runs `work` once fewer than `running_max` others are running; `Unavailable` when
    /// `waiting_max` callers are already queued.
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> Result<T, AppError> {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            if counts.0 >= self.running_max && counts.1 >= self.waiting_max {
                return Err(AppError::Unavailable(anyhow::anyhow!(
                    "{} running and {} waiting: refused",
                    counts.0,
                    counts.1
                )));
            }
            counts.1 += 1;
            while counts.0 >= self.running_max {
                counts = self.freed.wait(counts).unwrap_or_else(|p| p.into_inner());
            }
            counts.1 -= 1;
            counts.0 += 1;
        }
        let _leave = Leave(self);
        Ok(work())
    }
}

/// Frees the place even if `work` panics.
struct Leave<'a>(&'a Gate);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut counts = self.0.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.0 -= 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    use super::*;

    #[test]
    fn never_more_than_the_bound_run_at_once() {
        let gate = Arc::new(Gate::new(2, 64));
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (gate, now, peak) = (gate.clone(), now.clone(), peak.clone());
                std::thread::spawn(move || {
                    gate.run(|| {
                        let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(running, Ordering::SeqCst);
                        std::thread::yield_now();
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
    }

    #[test]
    fn a_full_queue_refuses_at_once() {
        let gate = Arc::new(Gate::new(1, 1));
        let inside = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));
        let holder = {
            let (gate, inside, release) = (gate.clone(), inside.clone(), release.clone());
            std::thread::spawn(move || {
                gate.run(|| {
                    inside.wait();
                    release.wait();
                })
            })
        };
        inside.wait();
        let queued = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.run(|| "ran after the holder"))
        };
        // The queued caller takes the one waiting place; spin until it has.
        while gate.counts.lock().unwrap().1 == 0 {
            std::thread::yield_now();
        }
        let refused = gate.run(|| ());
        assert_eq!(refused.unwrap_err().status().as_u16(), 503);
        release.wait();
        holder.join().unwrap().unwrap();
        assert_eq!(queued.join().unwrap().unwrap(), "ran after the holder");
    }
}
