//! Random play through the core runtime API on the generated 10,000-scene
//! story: the target is at least 1,000,000 choices a second.
//!
//! `cargo bench --bench random_play`. A game that ends, or soft-locks (the
//! generated story's choices are once-only, so a scene entered a fourth
//! time can offer nothing), starts again from a fresh state.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fabula::graph::Story;
use fabula::runtime::{Discard, Machine, Pause, State};

fn generated(scenes: usize) -> Story {
    let text = fabula::generate::story(scenes);
    let mut read = |_: &Path| Ok(text.clone().into_bytes());
    let loaded = fabula::compile::compile(Path::new("gen.fab"), &mut read).unwrap();
    loaded.story.expect("the generated story compiles")
}

/// Makes `choices` random choices, restarting finished games. Returns the
/// number of games started, so the work cannot be optimised away.
fn random_play(
    story: &Story,
    machine: &mut Machine,
    state: &mut State,
    pick: &mut u64,
    choices: u64,
) -> u64 {
    let fresh = State::new(story, 1);
    let mut games = 0;
    let mut made = 0;
    while made < choices {
        let choice = match machine.run(story, state, &mut Discard) {
            Ok(Pause::Choices(offers)) => {
                *pick ^= *pick << 13;
                *pick ^= *pick >> 7;
                *pick ^= *pick << 17;
                let enabled = offers.iter().filter(|offer| offer.enabled).count() as u64;
                let nth = (*pick % enabled) as usize;
                offers
                    .iter()
                    .filter(|offer| offer.enabled)
                    .nth(nth)
                    .map(|offer| offer.choice)
            }
            Ok(Pause::Ending(_)) | Err(_) => None,
        };
        match choice {
            Some(choice) => {
                machine.choose(story, state, choice as usize).unwrap();
                made += 1;
            }
            None => {
                state.clone_from(&fresh);
                state.rng = *pick;
                games += 1;
            }
        }
    }
    games
}

fn bench(c: &mut Criterion) {
    let story = generated(10_000);
    let mut machine = Machine::new();
    let mut state = State::new(&story, 1);
    let mut pick = 0x2545_F491_4F6C_DD1D;

    // A plain timing first, so the number is printed even with criterion's
    // output trimmed.
    let choices = 5_000_000;
    let started = Instant::now();
    let games = random_play(&story, &mut machine, &mut state, &mut pick, choices);
    let elapsed = started.elapsed();
    println!(
        "random play: {choices} choices ({games} games) in {elapsed:.2?}: {:.0} choices/s",
        choices as f64 / elapsed.as_secs_f64()
    );

    let mut group = c.benchmark_group("runtime");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("random_play_10000_choices", |b| {
        b.iter(|| {
            black_box(random_play(
                &story,
                &mut machine,
                &mut state,
                &mut pick,
                10_000,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
