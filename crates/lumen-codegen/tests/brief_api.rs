//! The product brief's JIT example (lumen-codegen README, "As a Library (JIT)").
//! LANGUAGE.md §3.4 makes a program without `cell main()` a compile error, so the
//! brief's source gets a `main` cell; everything else is verbatim.

use lumen_codegen::jit::JitCompiler;
use lumen_compiler::compile;
use lumen_core::value::Value;

#[test]
fn brief_fib_example() -> Result<(), Box<dyn std::error::Error>> {
    let source = r#"
cell fib(n: Int) -> Int
  if n <= 1
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

cell main()
end
"#;

    let module = compile(source)?;
    let mut jit = JitCompiler::new();

    // Compile hot function
    let cell_idx = module.find_cell("fib").unwrap();
    let native_fib = jit.compile_cell(&module, cell_idx)?;

    // Call native code
    let result = native_fib.call(&[Value::Int(10)])?;
    assert_eq!(result, Value::Int(55));
    Ok(())
}
