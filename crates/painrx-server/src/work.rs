//! CPU- and memory-heavy work, bounded and off the async workers (STYLE.md habit 11).
//!
//! Two pools of permits, each as many as the machine has CPUs: one for password hashing
//! (Argon2id takes 19 MiB and tens of milliseconds per hash, so N parallel logins could otherwise
//! take N × 19 MiB), one for the knowledge work (name resolution, search, screening, plans, the
//! content check). A task holds its permit until its blocking thread finishes — even when the
//! client has gone — so the bound holds. A request that waits longer than [`QUEUE_WAIT`] for a
//! permit is answered 503 with `Retry-After` instead of queueing without end.
//!
//! OWASP ASVS 4 V11.1.4 (anti-automation: excessive calls cannot exhaust resources) and V2.4.1
//! (Argon2id, at a cost the server can afford under load).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::Semaphore;

use crate::Problem;

/// How long a request waits for a free permit before it is answered 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// What a 503 for a busy server asks the client to wait, in seconds.
pub const BUSY_RETRY_AFTER_S: u32 = 2;

/// The bounded pools of a server. Cheap to clone (clones share the permits).
#[derive(Clone, Debug)]
pub struct Work {
    hashing: Pool,
    compute: Pool,
}

#[derive(Clone, Debug)]
struct Pool {
    permits: Arc<Semaphore>,
    /// Tasks running now, and the most that ever ran at once.
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Pool {
    fn new(permits: usize) -> Pool {
        Pool {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            running: Arc::default(),
            peak: Arc::default(),
        }
    }

    /// Run `f` on a blocking thread once a permit is free (503 after [`QUEUE_WAIT`]).
    async fn run<T: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Problem> {
        let permit = tokio::time::timeout(QUEUE_WAIT, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| {
                tracing::warn!(what, "no free permit: answering 503");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy; try again in a moment",
                )
                .retry_after(BUSY_RETRY_AFTER_S)
            })?
            .map_err(Problem::internal)?;
        let (running, peak) = (Arc::clone(&self.running), Arc::clone(&self.peak));
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let answer = f();
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            answer
        })
        .await
        .map_err(Problem::internal)
    }
}

impl Work {
    /// Pools of `permits` each.
    pub fn new(permits: usize) -> Work {
        Work {
            hashing: Pool::new(permits),
            compute: Pool::new(permits),
        }
    }

    /// Pools as large as the number of CPUs this process may use.
    pub fn per_cpu() -> Work {
        Work::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    }

    /// Hash or verify a password (Argon2id) under the hashing pool.
    pub(crate) async fn hash<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Problem> {
        self.hashing.run("password hashing", f).await
    }

    /// Knowledge work (resolution, search, screening, plans, checks) under the compute pool.
    pub(crate) async fn compute<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Problem> {
        self.compute.run("knowledge work", f).await
    }

    /// The most password hashes that ever ran at once (for tests and the DoS suite).
    pub fn hashing_peak(&self) -> usize {
        self.hashing.peak.load(Ordering::SeqCst)
    }

    /// The most knowledge tasks that ever ran at once.
    pub fn compute_peak(&self) -> usize {
        self.compute.peak.load(Ordering::SeqCst)
    }
}
