//! How fast the explorer proves a story: the generated flag chains
//! (`fabula gen --flags N`, 2^N - 1 choice points), on one thread and on
//! every core. Run with `cargo bench --bench explore`; figures in
//! docs/PERFORMANCE.md.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fabula::explore::{Limits, explore_with_threads};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn explore(c: &mut Criterion) {
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for flags in [16, 20] {
        let text = fabula::generate::flags(flags);
        let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
        let story = fabula::compile::compile(Path::new("flags.fab"), &mut read)
            .unwrap()
            .story
            .unwrap();
        let states = (1u64 << flags) - 1;
        group.throughput(Throughput::Elements(states));
        for threads in [1, cores] {
            group.bench_function(format!("flags_{flags}_threads_{threads}"), |bench| {
                bench.iter(|| {
                    let report =
                        explore_with_threads(&story, Limits::default(), threads, &mut |_| {});
                    assert_eq!(report.states as u64, states);
                    report
                })
            });
        }
        // What the trap pass costs: the same search without it (which can
        // then prove nothing).
        group.bench_function(format!("flags_{flags}_threads_1_no_traps"), |bench| {
            let limits = Limits {
                find_traps: false,
                ..Limits::default()
            };
            bench.iter(|| {
                let report = explore_with_threads(&story, limits, 1, &mut |_| {});
                assert_eq!(report.states as u64, states);
                report
            })
        });
    }
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
