//! Static types of Lumen Core (language reference §2) as the type checker computes them.

use lumen_core::lir::RegTy;
use lumen_core::value::TypeId;

/// A static type. Unions are kept flattened, deduplicated and with two or more members
/// (build them with the checker's `union` helper, never by hand).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// The type of `return`, `break`, `halt`, …; also the element type of `[]`.
    Never,
    Null,
    Int,
    Float,
    Bool,
    Str,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Tuple(Vec<Type>),
    Result(Box<Type>, Box<Type>),
    Fn(Vec<Type>, Box<Type>),
    /// A user record or enum (by declaration id) applied to type arguments.
    Named(TypeId, Vec<Type>),
    /// A type parameter of the enclosing generic declaration (index into its parameters,
    /// with the name kept for messages).
    Param(u32, String),
    /// `A | B | …`.
    Union(Vec<Type>),
}

impl Type {
    /// The register type LIR uses for values of this type.
    /// `kinds` tells whether a `Named` id is a record (true) or an enum (false).
    pub fn reg_ty(&self, is_record: impl Fn(TypeId) -> bool) -> RegTy {
        match self {
            Type::Int => RegTy::Int,
            Type::Float => RegTy::Float,
            Type::Bool => RegTy::Bool,
            Type::Null => RegTy::Null,
            Type::Str => RegTy::Str,
            Type::List(_) => RegTy::List,
            Type::Map(..) => RegTy::Map,
            Type::Tuple(_) => RegTy::Tuple,
            Type::Result(..) => RegTy::Result,
            Type::Fn(..) => RegTy::Fn,
            Type::Named(id, _) => {
                if is_record(*id) {
                    RegTy::Record
                } else {
                    RegTy::Enum
                }
            }
            // Never-typed expressions produce no value; any register type will do.
            Type::Never | Type::Param(..) | Type::Union(_) => RegTy::Dyn,
        }
    }
}
