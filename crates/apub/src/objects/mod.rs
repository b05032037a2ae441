//! The federation crate's `Object`/`Actor` impls for Enishi's domain types.

pub mod actor;

pub use actor::ApActor;
