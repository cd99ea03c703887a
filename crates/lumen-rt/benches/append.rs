//! `xs = append(xs, i)` in a Lumen loop must be amortised O(1) per append (§7): the time
//! per element (criterion's throughput) should stay flat from 10^4 to 10^6 elements.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lumen_core::Value;
use lumen_rt::VM;

const SOURCE: &str = "\
cell build(n: Int) -> Int
  let mut xs: list[Int] = []
  for i in 0..n
    xs = append(xs, i)
  end
  len(xs)
end

cell main()
  print(build(10))
end
";

fn append_scaling(c: &mut Criterion) {
    let module = match lumen_compiler::compile(SOURCE) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("append bench skipped: the program does not compile yet: {e:?}");
            return;
        }
    };
    let mut vm = VM::new(module);
    let mut group = c.benchmark_group("append_loop");
    group.sample_size(10);
    for n in [10_000i64, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let got = vm.call_cell_by_name("build", vec![Value::Int(n)]);
                assert_eq!(got, Ok(Value::Int(n)));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, append_scaling);
criterion_main!(benches);
