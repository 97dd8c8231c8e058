//! Two halves of one job on the machine's two cores: the shape every
//! "big story" path takes (lowering, the check passes, the map).

/// Runs `late` on a second thread while `early` runs on this one, and
/// returns both results. A panic on the second thread is resumed here
/// with its own payload, as if it had happened on this one.
pub(crate) fn both<A, B>(early: impl FnOnce() -> A, late: impl FnOnce() -> B + Send) -> (A, B)
where
    B: Send,
{
    std::thread::scope(|scope| {
        let later = scope.spawn(late);
        let earlier = early();
        match later.join() {
            Ok(later) => (earlier, later),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
