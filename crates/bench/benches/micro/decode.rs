//! Decode throughput over every instruction of real `.text` sections.

use criterion::{Criterion, Throughput, black_box};

use crate::common::{code_words, guest_text};

pub fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for name in ["bigprog", "crypto"] {
        let (_, text) = guest_text(name);
        let words = code_words(&text);
        group.throughput(Throughput::Elements(words.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut lens = 0u64;
                for &w in &words {
                    lens += u64::from(ferrovm_riscv::decode(black_box(w)).len);
                }
                lens
            })
        });
    }
    group.finish();
}
