//! sea-orm entities, one per table. Rows convert to domain types in the query modules.
#![allow(missing_docs)] // generated items; the tables are described in the migrations

pub mod account;
pub mod actor;
pub mod actor_key;
pub mod api_token;
pub mod archive;
pub mod audit_entry;
pub mod block;
pub mod boost;
pub mod browser_session;
pub mod comment;
pub mod delivery;
pub mod delivery_host;
pub mod domain_block;
pub mod follow;
pub mod footprint;
pub mod friendship;
pub mod idempotency_key;
pub mod inbound_activity;
pub mod instance_setting;
pub mod introduction;
pub mod invite;
pub mod known_friendship;
pub mod media;
pub mod notification;
pub mod oauth_app;
pub mod oauth_app_token;
pub mod oauth_code;
pub mod outbox_activity;
pub mod post;
pub mod post_hashtag;
pub mod post_like;
pub mod post_recipient;
pub mod profile_field;
pub mod report;
pub mod report_object;
