//! Shared by the test binaries; each uses a different part.
#![allow(dead_code)]

pub mod scenario;
pub mod sim;
