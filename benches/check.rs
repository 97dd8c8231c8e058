//! How fast a story compiles and checks: the generated 10,000-scene story
//! (`fabula gen --scenes 10000`, about 3.5 MB) through the whole pipeline
//! the `check` command runs, read from memory.
//!
//! Run with `cargo bench --bench check`; figures in docs/PERFORMANCE.md.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    for scenes in [1_000, 10_000] {
        let text = fabula::generate::story(scenes);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("generated_{scenes}_scenes"), |bench| {
            bench.iter(|| {
                let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
                let loaded = fabula::compile::compile(Path::new("gen.fab"), &mut read).unwrap();
                assert!(loaded.story.is_some());
                loaded
            })
        });
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
