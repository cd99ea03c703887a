//! Readable text form of a LIR module (`lumen emit lir`).
//!
//! ```text
//! type 0 record Point(x, y)
//! const 0 = "hello"
//!
//! cell 0 fib (cell) params=1 captures=0 ret=Int regs=4
//!      0    2:6    LoadInt dst=r1:Int value=2
//!      1    2:3    JumpIfIntCmp op=Ge a=r0:Int b=r1:Int target=->3
//! ```
//!
//! One line per instruction: its index, source `line:col`, name and named fields;
//! registers are shown with their type, jump targets as `->index`, cells, constants and
//! types with their names or values.

use std::fmt::Write;

use crate::builtins::Builtin;
use crate::lir::{Cell, CellKind, CmpOp, Instr, LirModule, TypeDef, TypeTest};
use crate::value::Value;

/// The text form of `module`.
pub fn dump(module: &LirModule) -> String {
    let mut out = String::new();
    for (i, def) in module.types.defs.iter().enumerate() {
        match def {
            TypeDef::Record { name, fields } => {
                let _ = writeln!(out, "type {i} record {name}({})", fields.join(", "));
            }
            TypeDef::Enum { name, variants } => {
                let vs: Vec<String> = variants
                    .iter()
                    .map(|v| format!("{}/{}", v.name, v.arity))
                    .collect();
                let _ = writeln!(out, "type {i} enum {name} {{ {} }}", vs.join(", "));
            }
        }
    }
    for (i, c) in module.consts.iter().enumerate() {
        let _ = writeln!(out, "const {i} = {}", const_text(c, module));
    }
    if let Some(m) = module.main {
        let _ = writeln!(out, "main = cell {m}");
    }
    for (id, cell) in module.cells.iter().enumerate() {
        out.push('\n');
        dump_cell(&mut out, module, id, cell);
    }
    out
}

fn const_text(c: &Value, module: &LirModule) -> String {
    match c {
        Value::Str(s) => format!("{:?}", s.as_str()),
        other => crate::display::display(other, module).unwrap_or_else(|e| format!("<{e:?}>")),
    }
}

fn dump_cell(out: &mut String, module: &LirModule, id: usize, cell: &Cell) {
    let kind = match cell.kind {
        CellKind::Cell => "cell",
        CellKind::Method => "method",
        CellKind::Lambda => "lambda",
    };
    let _ = writeln!(
        out,
        "cell {id} {} ({kind}) params={} captures={} ret={:?} regs={}",
        cell.name,
        cell.params,
        cell.captures,
        cell.ret,
        cell.regs.len()
    );
    for (i, ins) in cell.code.iter().enumerate() {
        let mut pos = cell
            .pos
            .get(i)
            .map_or("?".to_string(), |p| format!("{}:{}", p.line, p.col));
        // Code inlined from another cell: its position is in that cell (`@k` names
        // the inline site, listed after the code).
        if let Some(&k) = cell.inlined.at.get(i).filter(|&&k| k != 0) {
            pos = format!("{pos}@{k}");
        }
        let mut f = Fields {
            module,
            cell,
            text: String::new(),
        };
        let name = f.instr(ins);
        let _ = writeln!(out, "  {i:>4}  {pos:>7}  {name}{}", f.text);
    }
    for (k, s) in cell.inlined.sites.iter().enumerate() {
        let _ = writeln!(
            out,
            "  inline site {}: {} called at {}:{}{}",
            k + 1,
            s.name,
            s.call.line,
            s.call.col,
            if s.parent == 0 {
                String::new()
            } else {
                format!("@{}", s.parent)
            }
        );
    }
}

/// Formats the fields of one instruction.
struct Fields<'a> {
    module: &'a LirModule,
    cell: &'a Cell,
    text: String,
}

macro_rules! gen_dump {
    ($( $op:literal $name:ident { $($field:ident : $kind:ident),* } )*) => {
        impl Fields<'_> {
            /// Writes the fields; returns the instruction's name.
            fn instr(&mut self, i: &Instr) -> &'static str {
                match i {
                    $( Instr::$name { $($field),* } => {
                        $( self.$kind(stringify!($field), *$field); )*
                        stringify!($name)
                    } )*
                }
            }
        }
    };
}
crate::with_instr_table!(gen_dump);

impl Fields<'_> {
    fn put(&mut self, name: &str, value: std::fmt::Arguments) {
        let _ = write!(self.text, " {name}={value}");
    }
    fn reg(&mut self, name: &str, r: u32) {
        match self.cell.regs.get(r as usize) {
            Some(t) => self.put(name, format_args!("r{r}:{t:?}")),
            None => self.put(name, format_args!("r{r}:?")),
        }
    }
    fn u32(&mut self, name: &str, v: u32) {
        match name {
            "target" => self.put(name, format_args!("->{v}")),
            "cell" => match self.module.cells.get(v as usize) {
                Some(c) => self.put(name, format_args!("{v}({})", c.name)),
                None => self.put(name, format_args!("{v}(?)")),
            },
            "idx" => match self.module.consts.get(v as usize) {
                Some(c) => {
                    let text = const_text(c, self.module);
                    self.put(name, format_args!("{v}({text})"))
                }
                None => self.put(name, format_args!("{v}(?)")),
            },
            "type_id" => match self.module.types.defs.get(v as usize) {
                Some(d) => self.put(name, format_args!("{v}({})", d.name())),
                None => self.put(name, format_args!("{v}(?)")),
            },
            _ => self.put(name, format_args!("{v}")),
        }
    }
    fn i64(&mut self, name: &str, v: i64) {
        self.put(name, format_args!("{v}"));
    }
    fn f64(&mut self, name: &str, v: f64) {
        let s = crate::display::float_to_string(v);
        self.put(name, format_args!("{s}"));
    }
    fn bool(&mut self, name: &str, v: bool) {
        self.put(name, format_args!("{v}"));
    }
    fn cmp(&mut self, name: &str, v: CmpOp) {
        self.put(name, format_args!("{v:?}"));
    }
    fn builtin(&mut self, name: &str, v: Builtin) {
        self.put(name, format_args!("{}", v.ident()));
    }
    fn test(&mut self, name: &str, v: TypeTest) {
        let type_name = |id: u32| {
            self.module
                .types
                .defs
                .get(id as usize)
                .map_or("?".to_string(), |d| d.name().to_string())
        };
        let s = match v {
            TypeTest::Record(id) | TypeTest::Enum(id) => type_name(id),
            TypeTest::Variant(id, tag) => match self.module.types.defs.get(id as usize) {
                Some(TypeDef::Enum { name, variants }) => match variants.get(tag as usize) {
                    Some(var) => format!("{name}.{}", var.name),
                    None => format!("{name}.?{tag}"),
                },
                _ => format!("?{id}.{tag}"),
            },
            other => format!("{other:?}"),
        };
        self.put(name, format_args!("{s}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lir::{Pos, RegTy, TypeTable, VariantDef};

    #[test]
    fn dump_shows_headers_registers_positions_and_names() {
        let m = LirModule {
            cells: vec![Cell {
                inlined: Default::default(),
                name: "main".into(),
                kind: CellKind::Cell,
                params: 0,
                captures: 0,
                regs: vec![RegTy::Str, RegTy::Bool, RegTy::Null],
                ret: RegTy::Null,
                code: vec![
                    Instr::LoadConst { dst: 0, idx: 0 },
                    Instr::Is {
                        dst: 1,
                        src: 0,
                        test: TypeTest::Variant(0, 1),
                    },
                    Instr::JumpIf { cond: 1, target: 0 },
                    Instr::CallBuiltin {
                        dst: 2,
                        builtin: Builtin::Print,
                        args: 0,
                        argc: 1,
                    },
                    Instr::Return { src: 2 },
                ],
                pos: vec![Pos { line: 2, col: 9 }; 5],
            }],
            consts: vec![Value::str("hi\n")],
            types: TypeTable {
                defs: vec![TypeDef::Enum {
                    name: "Shape".into(),
                    variants: vec![
                        VariantDef {
                            name: "Dot".into(),
                            arity: 0,
                        },
                        VariantDef {
                            name: "Circle".into(),
                            arity: 1,
                        },
                    ],
                }],
            },
            main: Some(0),
        };
        let text = dump(&m);
        assert!(
            text.contains("type 0 enum Shape { Dot/0, Circle/1 }"),
            "{text}"
        );
        assert!(text.contains("const 0 = \"hi\\n\""), "{text}");
        assert!(text.contains("cell 0 main (cell) params=0 captures=0 ret=Null regs=3"));
        assert!(
            text.contains("     0      2:9  LoadConst dst=r0:Str idx=0(\"hi\\n\")"),
            "{text}"
        );
        assert!(
            text.contains("Is dst=r1:Bool src=r0:Str test=Shape.Circle"),
            "{text}"
        );
        assert!(text.contains("JumpIf cond=r1:Bool target=->0"), "{text}");
        assert!(text.contains("CallBuiltin dst=r2:Null builtin=Print args=r0:Str argc=1"));
        assert_eq!(text.lines().filter(|l| l.starts_with("  ")).count(), 5);
    }
}
