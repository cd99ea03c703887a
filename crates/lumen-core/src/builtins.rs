//! Builtin functions as LIR names them: one entry per *resolved overload* (the compiler
//! picks `LenStr` or `LenList` from the static argument types, and inserts Int→Float
//! conversions for `Num` arguments), so no tier dispatches on argument types at run time.

macro_rules! builtins {
    ($( $variant:ident => $name:literal, $arity:literal; )*) => {
        /// A builtin function overload. See the language reference §8.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Builtin {
            $( $variant, )*
        }

        impl Builtin {
            /// Every builtin overload, in declaration order.
            pub const ALL: &'static [Builtin] = &[ $( Builtin::$variant, )* ];

            /// The Lumen-level name (used in `invalid argument to <name>`).
            pub fn name(self) -> &'static str {
                match self { $( Builtin::$variant => $name, )* }
            }

            /// Number of arguments the overload takes (`print` is variadic: `None`).
            pub fn arity(self) -> Option<usize> {
                let a: i32 = match self { $( Builtin::$variant => $arity, )* };
                if a < 0 { None } else { Some(a as usize) }
            }

            /// The stable name used in LIR text and serialisation (`len_str`, …).
            pub fn ident(self) -> &'static str {
                match self { $( Builtin::$variant => stringify!($variant), )* }
            }

            /// Looks up an overload by [`Builtin::ident`].
            pub fn from_ident(s: &str) -> Option<Builtin> {
                Builtin::ALL.iter().copied().find(|b| b.ident() == s)
            }

            /// A stable number for the overload (its position in [`Builtin::ALL`]), for
            /// encodings that carry a builtin as an integer (native code's immediates).
            pub fn index(self) -> u32 {
                self as u32
            }

            /// The overload numbered `i` by [`Builtin::index`].
            pub fn from_index(i: u32) -> Option<Builtin> {
                Builtin::ALL.get(i as usize).copied()
            }
        }
    };
}

builtins! {
    // I/O and conversion
    Print => "print", -1;
    ToString => "to_string", 1;
    ToIntFromInt => "to_int", 1;
    ToIntFromFloat => "to_int", 1;
    ToIntFromStr => "to_int", 1;
    // ToIntDyn / ToFloatDyn: the argument is a union; dispatch on the runtime tag.
    ToIntDyn => "to_int", 1;
    ToFloatFromInt => "to_float", 1;
    ToFloatFromFloat => "to_float", 1;
    ToFloatFromStr => "to_float", 1;
    ToFloatDyn => "to_float", 1;
    TypeOf => "type_of", 1;
    Args => "args", 0;
    ReadLine => "read_line", 0;
    Clock => "clock", 0;
    Exit => "exit", 1;
    // Strings
    LenStr => "len", 1;
    Upper => "upper", 1;
    Lower => "lower", 1;
    Trim => "trim", 1;
    Split => "split", 2;
    Join => "join", 2;
    Replace => "replace", 3;
    ContainsStr => "contains", 2;
    StartsWith => "starts_with", 2;
    EndsWith => "ends_with", 2;
    Chars => "chars", 1;
    IndexOfStr => "index_of", 2;
    SliceStr => "slice", 3;
    Repeat => "repeat", 2;
    PadLeft => "pad_left", 3;
    PadRight => "pad_right", 3;
    Ord => "ord", 1;
    Chr => "chr", 1;
    ReverseStr => "reverse", 1;
    // Math
    AbsInt => "abs", 1;
    AbsFloat => "abs", 1;
    MinInt => "min", 2;
    MinFloat => "min", 2;
    MaxInt => "max", 2;
    MaxFloat => "max", 2;
    ClampInt => "clamp", 3;
    ClampFloat => "clamp", 3;
    PowInt => "pow", 2;
    PowFloat => "pow", 2;
    Floor => "floor", 1;
    Ceil => "ceil", 1;
    Round => "round", 1;
    Sqrt => "sqrt", 1;
    Exp => "exp", 1;
    Log => "log", 1;
    Sin => "sin", 1;
    Cos => "cos", 1;
    Tan => "tan", 1;
    Atan2 => "atan2", 2;
    // Collections
    LenList => "len", 1;
    LenMap => "len", 1;
    IsEmptyStr => "is_empty", 1;
    IsEmptyList => "is_empty", 1;
    IsEmptyMap => "is_empty", 1;
    Append => "append", 2;
    // Not callable by name: room in a comprehension's list for the elements of its range
    // `lo..hi` / `lo..=hi` (list, lo, hi), emitted by the compiler before the loop.
    ReserveRange => "append", 3;
    ReserveRangeInclusive => "append", 3;
    Pop => "pop", 1;
    Insert => "insert", 3;
    RemoveList => "remove", 2;
    RemoveMap => "remove", 2;
    ContainsList => "contains", 2;
    ContainsMap => "contains", 2;
    IndexOfList => "index_of", 2;
    First => "first", 1;
    Last => "last", 1;
    Take => "take", 2;
    Drop => "drop", 2;
    SliceList => "slice", 3;
    Range => "range", 2;
    SumInt => "sum", 1;
    SumFloat => "sum", 1;
    Sort => "sort", 1;
    SortBy => "sort_by", 2;
    ReverseList => "reverse", 1;
    Unique => "unique", 1;
    Flatten => "flatten", 1;
    Enumerate => "enumerate", 1;
    Zip => "zip", 2;
    Map => "map", 2;
    Filter => "filter", 2;
    Reduce => "reduce", 3;
    Any => "any", 2;
    All => "all", 2;
    Find => "find", 2;
    Keys => "keys", 1;
    Values => "values", 1;
    Entries => "entries", 1;
    HasKey => "has_key", 2;
    Get => "get", 2;
    Merge => "merge", 2;
}

impl Builtin {
    /// True for the higher-order builtins, which call a function value argument (the
    /// runtime must be able to re-enter the caller's tier for them).
    pub fn calls_functions(self) -> bool {
        matches!(
            self,
            Builtin::SortBy
                | Builtin::Map
                | Builtin::Filter
                | Builtin::Reduce
                | Builtin::Any
                | Builtin::All
                | Builtin::Find
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_round_trip() {
        for &b in Builtin::ALL {
            assert_eq!(Builtin::from_ident(b.ident()), Some(b));
        }
    }

    #[test]
    fn indices_round_trip() {
        for (i, &b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.index(), i as u32);
            assert_eq!(Builtin::from_index(b.index()), Some(b));
        }
        assert_eq!(Builtin::from_index(Builtin::ALL.len() as u32), None);
        assert_eq!(Builtin::from_index(u32::MAX), None);
    }
}
