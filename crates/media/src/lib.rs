//! Enishi's photos: an upload is sniffed, decoded under limits, turned upright, re-encoded
//! (which drops EXIF and everything else riding along) and thumbnailed; the object store keeps
//! the files, on the local disk or in S3-compatible storage.
//!
//! This crate sits beside `db`: `web` uses it for uploads and serving, `apub` for the remote
//! media cache, and `server` for the operators' `enishi media` commands.

pub mod process;
pub mod store;

pub use process::{MediaError, ProcessLimits, Processed, process};
pub use store::{MediaStore, StoreConfig, StoredFile, Usage};
