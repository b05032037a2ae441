//! sea-orm entities, one per table. Rows convert to domain types in the query modules.
#![allow(missing_docs)] // generated items; the tables are described in the migrations

pub mod account;
pub mod actor;
pub mod instance_setting;
pub mod invite;
