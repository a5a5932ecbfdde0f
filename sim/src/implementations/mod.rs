//! The built-in implementations under test.

pub mod accord;
pub mod chatalot;
pub mod p2p;
pub mod reference;
#[cfg(test)]
pub(crate) mod test_support;
