//! How fast `fabula graph` draws a big story: a chain of 1,000,000 scenes
//! (`== sN` / `-> sN+1`, 21.8 MB; issue #10 asks for at most 2 s), compiled
//! from memory and drawn as dot and as Mermaid, as the command does. Also
//! the map alone, on the compiled story.
//!
//! Run with `cargo bench --bench graph`; figures in docs/PERFORMANCE.md.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The chain PERFORMANCE.md's Python one-liner writes.
fn chain(scenes: usize) -> String {
    let mut text = String::from("title: Chain\n");
    for index in 0..scenes - 1 {
        let _ = write!(text, "== s{index}\n-> s{}\n", index + 1);
    }
    let _ = write!(
        text,
        "== s{}\n-> ending done\n== ending done\nDone.\n",
        scenes - 1
    );
    text
}

fn compile(text: &str) -> fabula::graph::Story {
    let mut read = |_: &Path| Ok(text.as_bytes().to_vec());
    let loaded = fabula::compile::compile(Path::new("chain.fab"), &mut read).unwrap();
    loaded.story.expect("the chain compiles")
}

fn graph(c: &mut Criterion) {
    let text = chain(1_000_000);
    let mut group = c.benchmark_group("graph");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("chain_1000000_scenes_dot", |bench| {
        bench.iter(|| fabula::map::dot(&compile(&text)).len())
    });
    group.bench_function("chain_1000000_scenes_mermaid", |bench| {
        bench.iter(|| fabula::map::mermaid(&compile(&text)).len())
    });
    let story = compile(&text);
    group.bench_function("chain_1000000_scenes_dot_map_only", |bench| {
        bench.iter(|| fabula::map::dot(&story).len())
    });
    group.finish();
}

criterion_group!(benches, graph);
criterion_main!(benches);
