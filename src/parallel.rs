//! Two halves of one job on the machine's two cores: the shape every
//! "big story" path takes (lowering, the check passes, the map).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;

/// Runs `late` on a second thread while `early` runs on this one, and
/// returns both results. A panic on the second thread is resumed here
/// with its own payload, as if it had happened on this one.
pub(crate) fn both<A, B>(early: impl FnOnce() -> A, late: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    std::thread::scope(|scope| {
        let later = scope.spawn(elsewhere(late));
        let_run();
        let earlier = early();
        match later.join() {
            Ok(later) => (earlier, later),
            Err(panic) => resume_unwind(panic),
        }
    })
}

/// The core the calling thread runs on, where a thread it starts should
/// not stay.
#[cfg(target_os = "linux")]
fn this_core() -> Option<usize> {
    nix::sched::sched_getcpu().ok()
}

#[cfg(not(target_os = "linux"))]
fn this_core() -> Option<usize> {
    None
}

/// `work`, to run on another thread: it first moves off the core of the
/// thread calling this, if it finds itself there ([`leave`]). The caller
/// hands it over (a spawn, a send), then calls [`let_run`].
fn elsewhere<T>(work: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let parent = this_core();
    move || {
        leave(parent);
        work()
    }
}

/// Lets a thread just started run now, on this core, instead of at the
/// next scheduler tick; it then [`leave`]s. When the scheduler put it on
/// an idle core, where it runs already, and nothing else waits for this
/// one, the yield returns at once.
fn let_run() {
    std::thread::yield_now();
}

/// First thing on a new thread: if it is on the core of the thread that
/// started it (`parent`), it moves to another core it may run on, and is
/// then allowed on every core it was before.
///
/// Measured here (Linux 6.18 in a 2-core VM): a new thread is put on its
/// parent's core and waits there for the next tick (0.1–4 ms), and the
/// two then share that core until a balancer moves one, several ms later:
/// two threads of 10 ms of work each took 14–20 ms from the spawn. With
/// the parent yielding once and the new thread moving itself, 10.1–10.4
/// ms (docs/PERFORMANCE.md, session 8).
#[cfg(target_os = "linux")]
fn leave(parent: Option<usize>) {
    use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
    use nix::unistd::Pid;
    let Some(parent) = parent else { return };
    if sched_getcpu() != Ok(parent) {
        return;
    }
    // Pid 0: the calling thread.
    let this = Pid::from_raw(0);
    let Ok(allowed) = sched_getaffinity(this) else {
        return;
    };
    let mut elsewhere = allowed;
    if elsewhere.unset(parent).is_err() {
        return;
    }
    let anywhere = (0..CpuSet::count()).any(|core| elsewhere.is_set(core) == Ok(true));
    // Setting a mask without this core moves the thread off it at once;
    // the old mask back does not move it again.
    if anywhere && sched_setaffinity(this, &elsewhere).is_ok() {
        let _ = sched_setaffinity(this, &allowed);
    }
}

#[cfg(not(target_os = "linux"))]
fn leave(_parent: Option<usize>) {}

/// A job for the [`Helper`]: it sends its own result back.
type Job = Box<dyn FnOnce() + Send>;

/// A second thread started ahead of the forks that will use it, so that
/// they do not wait for a new thread to be scheduled.
///
/// A thread already started and waiting on a channel is woken in
/// microseconds when the scheduler wakes it on its own core; a new one
/// takes a fork the time to be scheduled and moved ([`leave`]). Woken
/// onto the sender's core instead (the lowering's job, in 18 runs of 80
/// here), the helper waited for the next tick and then shared the core:
/// so [`both_on`] yields after sending, and each job starts by moving off
/// the sender's core, as a new thread does. A compile of a big story
/// starts one when it has read enough of it ([`HELPER_BYTES`]); its first
/// fork is a big file's outline (the second part, `syntax::outline_parts`),
/// then the lowering's and the check passes'. The thread ends when the
/// helper is dropped.
#[derive(Debug)]
pub(crate) struct Helper {
    jobs: mpsc::Sender<Job>,
}

/// A compile starts its [`Helper`] once it has read this many bytes of
/// story: a story this big will probably fork (at
/// [`crate::graph::PARALLEL_LINES`] lines), and one that does not has
/// only spent a thread's start.
pub(crate) const HELPER_BYTES: usize = 256 * 1024;

impl Helper {
    /// Starts the thread; `None` when the system has none to give (the
    /// forks then start their own, as [`both`] does).
    pub(crate) fn start() -> Option<Helper> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("fabula-helper".into())
            .spawn(elsewhere(move || {
                // Each job catches its own panic, so this ends only when
                // the helper is dropped.
                for job in queue {
                    job();
                }
            }))
            .ok()?;
        let_run();
        Some(Helper { jobs })
    }
}

/// [`both`], with `late` on `helper`'s thread when there is one. `late`
/// owns what it reads (an `Arc` of what both halves share), since the
/// helper outlives this call.
pub(crate) fn both_on<A, B>(
    helper: Option<&Helper>,
    early: impl FnOnce() -> A,
    late: impl FnOnce() -> B + Send + 'static,
) -> (A, B)
where
    B: Send + 'static,
{
    let Some(helper) = helper else {
        return both(early, late);
    };
    let (done, result) = mpsc::sync_channel(1);
    // Woken onto this thread's core, the helper would wait for the next
    // tick and then share the core: the job moves it off at once instead.
    let job: Job = Box::new(elsewhere(move || {
        // The receiver is gone only if `early` panicked: nobody waits.
        let _ = done.send(catch_unwind(AssertUnwindSafe(late)));
    }));
    match helper.jobs.send(job) {
        Ok(()) => let_run(),
        // The helper's thread is gone (it never ends while the helper
        // lives, but this costs nothing to handle): `late` runs here.
        Err(mpsc::SendError(job)) => job(),
    }
    let earlier = early();
    match result.recv() {
        Ok(Ok(later)) => (earlier, later),
        Ok(Err(panic)) => resume_unwind(panic),
        // The helper's thread runs every job it is sent, and a job
        // always sends (its panic caught); a job is dropped unrun only if
        // the thread could not run it at all.
        Err(_) => resume_unwind(Box::new("the helper thread stopped")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_runs_the_late_half_and_can_be_used_again() {
        let helper = Helper::start().unwrap();
        let main = std::thread::current().id();
        for round in 0..3 {
            let (early, late) = both_on(
                Some(&helper),
                || (round, std::thread::current().id()),
                move || (round * 10, std::thread::current().id()),
            );
            assert_eq!((early.0, late.0), (round, round * 10));
            assert_eq!(early.1, main);
            assert_ne!(late.1, main);
        }
        // Without a helper, a thread of its own.
        let (early, late) = both_on(None, || 1, || 2);
        assert_eq!((early, late), (1, 2));
    }

    #[test]
    fn a_panic_on_the_helper_is_resumed_here_and_the_helper_lives_on() {
        let helper = Helper::start().unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            both_on(
                Some(&helper),
                || 1,
                || -> i32 { panic!("late half failed") },
            )
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"late half failed"));
        assert_eq!(both_on(Some(&helper), || 1, || 2), (1, 2));
    }
}
