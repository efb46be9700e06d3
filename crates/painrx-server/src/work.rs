//! CPU- and memory-heavy work, bounded and off the async workers (STYLE.md habit 11).
//!
//! Two pools of permits, each as many as the machine has CPUs: one for password hashing
//! (Argon2id takes 19 MiB and tens of milliseconds per hash, so N parallel logins could otherwise
//! take N × 19 MiB), one for the knowledge work (name resolution, search, screening, plans, the
//! content check). A task holds its permit until its blocking thread finishes — even when the
//! client has gone — so the bound holds. A request that waits longer than [`QUEUE_WAIT`] for a
//! permit is answered 503 with `Retry-After` instead of queueing without end.
//!
//! Password hashing runs on its own threads, as many as its permits, started once, rather than
//! on tokio's blocking pool: glibc gives each thread that allocates its own malloc arena and
//! keeps the freed 19 MiB of an Argon2 hash in it, so hashes spread over the blocking pool's
//! threads left hundreds of MB resident after a burst of logins (`bench/reliability.sh dos`:
//! 455 MB after 128 parallel logins; with two hashing threads, see docs/RELIABILITY.md).
//!
//! OWASP ASVS 4 V11.1.4 (anti-automation: excessive calls cannot exhaust resources) and V2.4.1
//! (Argon2id, at a cost the server can afford under load).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
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
    /// Where the work runs: tokio's blocking pool, or threads of the pool's own.
    threads: Option<Threads>,
    permits: Arc<Semaphore>,
    /// Tasks running now, and the most that ever ran at once.
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of named threads that run jobs from one queue (a job holds its pool permit, so
/// the queue never holds more jobs than there are threads).
#[derive(Clone, Debug)]
struct Threads {
    jobs: mpsc::Sender<Job>,
}

impl Threads {
    fn start(name: &str, count: usize) -> Threads {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..count.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || loop {
                    // The lock is held only to take the next job, never while it runs.
                    let next = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    match next {
                        // A panicking job loses its answer (its caller gets a 500), not the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return, // the pool was dropped
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a {name} thread");
            }
        }
        Threads { jobs }
    }
}

impl Pool {
    fn new(permits: usize) -> Pool {
        Pool {
            threads: None,
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
        let task = move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let answer = f();
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            answer
        };
        match &self.threads {
            None => tokio::task::spawn_blocking(task)
                .await
                .map_err(Problem::internal),
            Some(threads) => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let job: Job = Box::new(move || {
                    // The caller may have gone (a closed connection): the answer is dropped.
                    let _ = tx.send(task());
                });
                threads
                    .jobs
                    .send(job)
                    .map_err(|_| Problem::internal("the hashing threads have stopped"))?;
                rx.await
                    .map_err(|_| Problem::internal("a hashing thread stopped during a hash"))
            }
        }
    }
}

impl Work {
    /// Pools of `permits` each.
    pub fn new(permits: usize) -> Work {
        Work {
            hashing: Pool {
                threads: Some(Threads::start("painrx-hash", permits)),
                ..Pool::new(permits)
            },
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
