//! Runtime error kinds and their messages: the one place every tier takes them from
//! (language reference §10.2).

use std::fmt;

/// A runtime error, before a stack trace is attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtError {
    IntegerOverflow,
    DivisionByZero,
    NegativeExponent,
    InvalidConversion,
    IndexOutOfBounds,
    KeyNotFound,
    NoMatchArm,
    NullValue,
    StackOverflow,
    /// `invalid argument to <builtin>`; holds the builtin's name.
    InvalidArgument(&'static str),
    /// `halt e`: the message is the text of `e`.
    Halt(String),
    /// `exit(n)`: not an error, but it unwinds like one.
    Exit(i32),
    /// A broken invariant inside the toolchain (never expected; reported, not a panic).
    Internal(String),
}

impl fmt::Display for RtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtError::IntegerOverflow => f.write_str("integer overflow"),
            RtError::DivisionByZero => f.write_str("division by zero"),
            RtError::NegativeExponent => f.write_str("negative exponent"),
            RtError::InvalidConversion => f.write_str("invalid conversion"),
            RtError::IndexOutOfBounds => f.write_str("index out of bounds"),
            RtError::KeyNotFound => f.write_str("key not found"),
            RtError::NoMatchArm => f.write_str("no match arm"),
            RtError::NullValue => f.write_str("null value"),
            RtError::StackOverflow => f.write_str("stack overflow"),
            RtError::InvalidArgument(name) => write!(f, "invalid argument to {name}"),
            RtError::Halt(msg) => f.write_str(msg),
            RtError::Exit(code) => write!(f, "exit({code})"),
            RtError::Internal(msg) => write!(f, "internal error: {msg}"),
        }
    }
}

impl std::error::Error for RtError {}

/// Result of a runtime operation.
pub type RtResult<T> = Result<T, RtError>;
