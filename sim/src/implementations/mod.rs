//! The built-in implementations under test.

pub mod reference;
