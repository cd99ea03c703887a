//! Compact binary form of a [`LirModule`].
//!
//! Layout: the magic `LUMNLIR\0`, a little-endian `u32` format version, then the type
//! table, the constant pool, the cells and the `main` cell. Integers are LEB128 varints
//! (signed ones zigzag-encoded), floats their 8 IEEE bytes, strings a length and UTF-8
//! bytes, builtins their stable [`Builtin::ident`]. Instructions are an opcode byte and
//! their fields in the order of [`crate::with_instr_table`].
//!
//! Decoding validates as it goes and never panics: every count is checked against the
//! bytes left, nesting of constant values is bounded, and any inconsistency is an `Err`.
//! (Structural validity of the decoded code is [`crate::verify`]'s job.)

use std::rc::Rc;

use crate::builtins::Builtin;
use crate::lir::{
    Cell, CellKind, CmpOp, InlineSite, Inlined, Instr, LirModule, Pos, RegTy, TypeDef, TypeTable,
    TypeTest, VariantDef,
};
use crate::value::{Boxed, Closure, Entries, Map, MapKey, Record, Value, Variant};

/// File signature.
pub const MAGIC: &[u8; 8] = b"LUMNLIR\0";
/// Format version; bumped whenever the encoding changes.
pub const VERSION: u32 = 1;
/// Deepest constant nesting the decoder accepts (bounds its recursion).
const MAX_DEPTH: u32 = 512;

/// Encodes a module.
pub fn to_bytes(module: &LirModule) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&VERSION.to_le_bytes());
    w.len(module.types.defs.len());
    for def in &module.types.defs {
        match def {
            TypeDef::Record { name, fields } => {
                w.byte(0);
                w.str(name);
                w.len(fields.len());
                for f in fields {
                    w.str(f);
                }
            }
            TypeDef::Enum { name, variants } => {
                w.byte(1);
                w.str(name);
                w.len(variants.len());
                for v in variants {
                    w.str(&v.name);
                    w.u32(v.arity);
                }
            }
        }
    }
    w.len(module.consts.len());
    for c in &module.consts {
        w.value(c);
    }
    w.len(module.cells.len());
    for cell in &module.cells {
        w.str(&cell.name);
        w.byte(match cell.kind {
            CellKind::Cell => 0,
            CellKind::Method => 1,
            CellKind::Lambda => 2,
        });
        w.u32(cell.params);
        w.u32(cell.captures);
        w.len(cell.regs.len());
        for &t in &cell.regs {
            w.regty(t);
        }
        w.regty(cell.ret);
        w.len(cell.code.len());
        for i in &cell.code {
            write_instr(&mut w, i);
        }
        w.len(cell.pos.len());
        for p in &cell.pos {
            w.u32(p.line);
            w.u32(p.col);
        }
        w.len(cell.inlined.sites.len());
        for s in &cell.inlined.sites {
            w.str(&s.name);
            w.u32(s.call.line);
            w.u32(s.call.col);
            w.u32(s.parent);
        }
        w.len(cell.inlined.at.len());
        for &k in &cell.inlined.at {
            w.u32(k);
        }
    }
    match module.main {
        Some(m) => {
            w.byte(1);
            w.u32(m);
        }
        None => w.byte(0),
    }
    w.0
}

/// Decodes a module written by [`to_bytes`].
pub fn from_bytes(bytes: &[u8]) -> Result<LirModule, String> {
    let mut r = Reader { data: bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err("not a LIR file (bad magic)".into());
    }
    let v = r.take(4)?;
    let version = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
    if version != VERSION {
        return Err(format!(
            "unsupported LIR format version {version} (expected {VERSION})"
        ));
    }
    let n = r.len()?;
    let mut defs = Vec::with_capacity(n);
    for _ in 0..n {
        let def = match r.byte()? {
            0 => {
                let name = r.str()?;
                let n = r.len()?;
                let fields = (0..n).map(|_| r.str()).collect::<Result<_, _>>()?;
                TypeDef::Record { name, fields }
            }
            1 => {
                let name = r.str()?;
                let n = r.len()?;
                let mut variants = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = r.str()?;
                    let arity = r.u32()?;
                    variants.push(VariantDef { name, arity });
                }
                TypeDef::Enum { name, variants }
            }
            t => return Err(format!("bad type definition tag {t}")),
        };
        defs.push(def);
    }
    let n = r.len()?;
    let mut consts = Vec::with_capacity(n);
    for _ in 0..n {
        consts.push(r.value(0)?);
    }
    let n = r.len()?;
    let mut cells = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str()?;
        let kind = match r.byte()? {
            0 => CellKind::Cell,
            1 => CellKind::Method,
            2 => CellKind::Lambda,
            k => return Err(format!("bad cell kind {k}")),
        };
        let params = r.u32()?;
        let captures = r.u32()?;
        let n = r.len()?;
        let regs = (0..n).map(|_| r.regty()).collect::<Result<_, _>>()?;
        let ret = r.regty()?;
        let n = r.len()?;
        let code = (0..n)
            .map(|_| read_instr(&mut r))
            .collect::<Result<_, _>>()?;
        let n = r.len()?;
        let mut pos = Vec::with_capacity(n);
        for _ in 0..n {
            let line = r.u32()?;
            let col = r.u32()?;
            pos.push(Pos { line, col });
        }
        let n = r.len()?;
        let mut sites = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.str()?;
            let line = r.u32()?;
            let col = r.u32()?;
            let parent = r.u32()?;
            sites.push(InlineSite {
                name,
                call: Pos { line, col },
                parent,
            });
        }
        let n = r.len()?;
        let at = (0..n).map(|_| r.u32()).collect::<Result<_, _>>()?;
        cells.push(Cell {
            inlined: Inlined { sites, at },
            name,
            kind,
            params,
            captures,
            regs,
            ret,
            code,
            pos,
        });
    }
    let main = match r.byte()? {
        0 => None,
        1 => Some(r.u32()?),
        t => return Err(format!("bad main flag {t}")),
    };
    if r.at != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - r.at));
    }
    Ok(LirModule {
        cells,
        consts,
        types: TypeTable { defs },
        main,
    })
}

macro_rules! gen_instr_codec {
    ($( $op:literal $name:ident { $($field:ident : $kind:ident),* } )*) => {
        fn write_instr(w: &mut Writer, i: &Instr) {
            match i {
                $( Instr::$name { $($field),* } => {
                    w.byte($op);
                    $( w.$kind(*$field); )*
                } )*
            }
        }

        fn read_instr(r: &mut Reader) -> Result<Instr, String> {
            match r.byte()? {
                $( $op => Ok(Instr::$name { $($field: r.$kind()?),* }), )*
                op => Err(format!("bad opcode {op}")),
            }
        }
    };
}
crate::with_instr_table!(gen_instr_codec);

const REG_TYS: [RegTy; 13] = [
    RegTy::Int,
    RegTy::Float,
    RegTy::Bool,
    RegTy::Null,
    RegTy::Str,
    RegTy::List,
    RegTy::Map,
    RegTy::Tuple,
    RegTy::Record,
    RegTy::Enum,
    RegTy::Result,
    RegTy::Fn,
    RegTy::Dyn,
];

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u64(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn u32(&mut self, v: u32) {
        self.u64(v as u64);
    }
    fn reg(&mut self, v: u32) {
        self.u32(v);
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn bool(&mut self, v: bool) {
        self.byte(v as u8);
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn cmp(&mut self, op: CmpOp) {
        self.byte(op.index());
    }
    fn regty(&mut self, t: RegTy) {
        self.byte(REG_TYS.iter().position(|&x| x == t).unwrap_or(0) as u8);
    }
    fn builtin(&mut self, b: Builtin) {
        self.str(b.ident());
    }
    fn test(&mut self, t: TypeTest) {
        let [kind, a, b] = t.to_parts();
        self.byte(kind as u8);
        if (12..=14).contains(&kind) {
            self.u32(a);
        }
        if kind == 14 {
            self.u32(b);
        }
    }
    fn values(&mut self, vs: &[Value]) {
        self.len(vs.len());
        for v in vs {
            self.value(v);
        }
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.byte(0),
            Value::Bool(b) => {
                self.byte(1);
                self.bool(*b);
            }
            Value::Int(i) => {
                self.byte(2);
                self.i64(*i);
            }
            Value::Float(f) => {
                self.byte(3);
                self.f64(*f);
            }
            Value::Str(s) => {
                self.byte(4);
                self.str(s.as_str());
            }
            Value::List(l) => {
                self.byte(5);
                self.values(&l.items);
            }
            Value::Tuple(t) => {
                self.byte(6);
                self.values(&t.items);
            }
            Value::Map(m) => {
                self.byte(7);
                self.len(m.entries.len());
                for (k, v) in &m.entries {
                    match k {
                        MapKey::Int(i) => {
                            self.byte(0);
                            self.i64(*i);
                        }
                        MapKey::Str(s) => {
                            self.byte(1);
                            self.str(s.as_str());
                        }
                    }
                    self.value(v);
                }
            }
            Value::Record(r) => {
                self.byte(8);
                self.u32(r.type_id);
                self.values(&r.fields);
            }
            Value::Variant(v) => {
                self.byte(9);
                self.u32(v.type_id);
                self.u32(v.tag);
                self.values(&v.payload);
            }
            Value::Ok(b) => {
                self.byte(10);
                self.value(&b.value);
            }
            Value::Err(b) => {
                self.byte(11);
                self.value(&b.value);
            }
            Value::Fn(c) => {
                self.byte(12);
                self.u32(c.cell);
                self.values(&c.captures);
            }
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("unexpected end of data at byte {}", self.at))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err("varint overflow".into());
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }
    fn u32(&mut self) -> Result<u32, String> {
        u32::try_from(self.u64()?).map_err(|_| "integer out of range".to_string())
    }
    fn reg(&mut self) -> Result<u32, String> {
        self.u32()
    }
    /// A count of items that each take at least one byte: larger than what is left
    /// means corrupt input (and must not drive an allocation).
    fn len(&mut self) -> Result<usize, String> {
        let n = self.u64()?;
        if n > (self.data.len() - self.at) as u64 {
            return Err(format!("count {n} exceeds the remaining data"));
        }
        Ok(n as usize)
    }
    fn i64(&mut self) -> Result<i64, String> {
        let u = self.u64()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }
    fn bool(&mut self) -> Result<bool, String> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("bad bool {b}")),
        }
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.len()?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in string".to_string())
    }
    fn cmp(&mut self) -> Result<CmpOp, String> {
        let b = self.byte()?;
        CmpOp::from_index(b.into()).ok_or_else(|| format!("bad comparison {b}"))
    }
    fn regty(&mut self) -> Result<RegTy, String> {
        let b = self.byte()?;
        REG_TYS
            .get(b as usize)
            .copied()
            .ok_or_else(|| format!("bad register type {b}"))
    }
    fn builtin(&mut self) -> Result<Builtin, String> {
        let s = self.str()?;
        Builtin::from_ident(&s).ok_or_else(|| format!("unknown builtin {s}"))
    }
    fn test(&mut self) -> Result<TypeTest, String> {
        let kind = self.byte()? as u32;
        // The type id and variant index follow for the kinds that have them.
        let a = if (12..=14).contains(&kind) {
            self.u32()?
        } else {
            0
        };
        let b = if kind == 14 { self.u32()? } else { 0 };
        TypeTest::from_parts([kind, a, b]).ok_or_else(|| format!("bad type test {kind}"))
    }
    fn values(&mut self, depth: u32) -> Result<Vec<Value>, String> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.value(depth + 1)?);
        }
        Ok(out)
    }
    fn value(&mut self, depth: u32) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("constant nested too deeply".into());
        }
        Ok(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(self.bool()?),
            2 => Value::Int(self.i64()?),
            3 => Value::Float(self.f64()?),
            4 => Value::str(self.str()?),
            5 => Value::list(self.values(depth)?),
            6 => Value::tuple(self.values(depth)?),
            7 => {
                let n = self.len()?;
                let mut entries = Entries::new();
                for _ in 0..n {
                    let key = match self.byte()? {
                        0 => MapKey::Int(self.i64()?),
                        1 => MapKey::str(Rc::new(crate::value::Str::new(self.str()?))),
                        k => return Err(format!("bad map key tag {k}")),
                    };
                    let v = self.value(depth + 1)?;
                    entries.insert(key, v);
                }
                Value::Map(Rc::new(Map { entries }))
            }
            8 => {
                let type_id = self.u32()?;
                let fields = self.values(depth)?;
                Value::Record(Rc::new(Record { type_id, fields }))
            }
            9 => {
                let type_id = self.u32()?;
                let tag = self.u32()?;
                let payload = self.values(depth)?;
                Value::Variant(Rc::new(Variant {
                    type_id,
                    tag,
                    payload,
                }))
            }
            10 => Value::Ok(Rc::new(Boxed {
                value: self.value(depth + 1)?,
            })),
            11 => Value::Err(Rc::new(Boxed {
                value: self.value(depth + 1)?,
            })),
            12 => {
                let cell = self.u32()?;
                let captures = self.values(depth)?;
                Value::Fn(Rc::new(Closure { cell, captures }))
            }
            t => return Err(format!("bad value tag {t}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module using every kind of constant and a spread of instructions.
    fn sample() -> LirModule {
        let mut entries = Entries::new();
        entries.insert(MapKey::Int(-3), Value::Float(f64::NAN));
        entries.insert(
            MapKey::str(Rc::new(crate::value::Str::new("k".into()))),
            Value::Null,
        );
        let consts = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(-0.0),
            Value::str("héllo"),
            Value::list(vec![Value::Int(1), Value::str("x")]),
            Value::tuple(vec![Value::Int(1), Value::Bool(false)]),
            Value::Map(Rc::new(Map { entries })),
            Value::Record(Rc::new(Record {
                type_id: 0,
                fields: vec![Value::Int(1), Value::Int(2)],
            })),
            Value::Variant(Rc::new(Variant {
                type_id: 1,
                tag: 1,
                payload: vec![Value::Float(2.5)],
            })),
            Value::ok(Value::Int(7)),
            Value::err(Value::str("bad")),
            Value::Fn(Rc::new(Closure {
                cell: 0,
                captures: vec![Value::Int(3)],
            })),
        ];
        let code = vec![
            Instr::LoadInt { dst: 0, value: -42 },
            Instr::LoadFloat { dst: 1, value: 1.5 },
            Instr::CallBuiltin {
                dst: 2,
                builtin: Builtin::PadLeft,
                args: 3,
                argc: 3,
            },
            Instr::Is {
                dst: 2,
                src: 1,
                test: TypeTest::Variant(1, 0),
            },
            Instr::Is {
                dst: 2,
                src: 1,
                test: TypeTest::Err,
            },
            Instr::JumpIfIntCmp {
                op: CmpOp::Ge,
                a: 0,
                b: 0,
                target: 0,
            },
            Instr::RangeList {
                dst: 4,
                lo: 0,
                hi: 0,
                inclusive: true,
            },
            Instr::NoMatch,
            Instr::Return { src: 0 },
        ];
        let pos = (0..code.len() as u32)
            .map(|i| Pos {
                line: i + 1,
                col: 300,
            })
            .collect();
        let n = code.len();
        LirModule {
            cells: vec![Cell {
                // Two nested inline sites; the last instructions come from them.
                inlined: Inlined {
                    sites: vec![
                        InlineSite {
                            name: "f".into(),
                            call: Pos { line: 7, col: 3 },
                            parent: 0,
                        },
                        InlineSite {
                            name: "g".into(),
                            call: Pos { line: 2, col: 5 },
                            parent: 1,
                        },
                    ],
                    at: (0..n as u32).map(|i| (i * 3 / n as u32).min(2)).collect(),
                },
                name: "main".into(),
                kind: CellKind::Cell,
                params: 0,
                captures: 0,
                regs: vec![
                    RegTy::Int,
                    RegTy::Float,
                    RegTy::Bool,
                    RegTy::Dyn,
                    RegTy::List,
                ],
                ret: RegTy::Int,
                code,
                pos,
            }],
            consts,
            types: TypeTable {
                defs: vec![
                    TypeDef::Record {
                        name: "P".into(),
                        fields: vec!["x".into(), "y".into()],
                    },
                    TypeDef::Enum {
                        name: "E".into(),
                        variants: vec![
                            VariantDef {
                                name: "A".into(),
                                arity: 0,
                            },
                            VariantDef {
                                name: "B".into(),
                                arity: 1,
                            },
                        ],
                    },
                ],
            },
            main: Some(0),
        }
    }

    #[test]
    fn round_trip_preserves_everything() {
        let m = sample();
        let bytes = to_bytes(&m);
        let back = from_bytes(&bytes).expect("decodes");
        assert_eq!(back.cells, m.cells);
        assert_eq!(back.types, m.types);
        assert_eq!(back.main, m.main);
        assert_eq!(back.consts.len(), m.consts.len());
        // Compare display-independent structure through re-encoding (NaN != NaN).
        assert_eq!(to_bytes(&back), bytes);
        assert!(matches!(back.consts[2], Value::Int(i64::MIN)));
        assert!(matches!(back.consts[4], Value::Float(f) if f == 0.0 && f.is_sign_negative()));
    }

    #[test]
    fn every_instruction_round_trips() {
        let all = vec![
            Instr::Move { dst: 1, src: 2 },
            Instr::MapNew {
                dst: 1,
                args: 2,
                pairs: 3,
            },
            Instr::VariantNew {
                dst: 1,
                type_id: 2,
                tag: 3,
                args: 4,
            },
            Instr::FieldSet {
                record: 1,
                field: 2,
                src: 3,
            },
            Instr::StrCmp {
                op: CmpOp::Le,
                dst: 1,
                a: 2,
                b: 3,
            },
            Instr::MakeClosure {
                dst: 1,
                cell: 9,
                args: 2,
                argc: 0,
            },
            Instr::Halt { msg: u32::MAX },
            Instr::ListGetUnchecked {
                dst: 1,
                list: 2,
                idx: 3,
            },
        ];
        for i in all {
            let mut w = Writer(Vec::new());
            write_instr(&mut w, &i);
            let mut r = Reader { data: &w.0, at: 0 };
            assert_eq!(read_instr(&mut r).unwrap(), i);
            assert_eq!(r.at, w.0.len());
        }
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let bytes = to_bytes(&sample());
        assert!(from_bytes(b"").is_err());
        assert!(from_bytes(b"NOTLIR\0\0\x01\0\0\0").is_err());
        let mut wrong_version = bytes.clone();
        wrong_version[8] = 99;
        assert!(from_bytes(&wrong_version).unwrap_err().contains("version"));
        // Every truncation and every single-byte corruption must decode or fail cleanly.
        for n in 0..bytes.len() {
            assert!(from_bytes(&bytes[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..bytes.len() {
            for b in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut c = bytes.clone();
                c[i] = b;
                let _ = from_bytes(&c);
            }
        }
        let mut trailing = bytes;
        trailing.push(0);
        assert!(from_bytes(&trailing).unwrap_err().contains("trailing"));
    }

    #[test]
    fn deeply_nested_constant_is_rejected() {
        let mut v = Value::Null;
        for _ in 0..(MAX_DEPTH + 5) {
            v = Value::ok(v);
        }
        let m = LirModule {
            consts: vec![v],
            ..LirModule::default()
        };
        assert!(from_bytes(&to_bytes(&m)).unwrap_err().contains("deeply"));
    }
}
