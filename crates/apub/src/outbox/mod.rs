//! Delivery workers for the durable outbox (DESIGN §6): claim due deliveries from the
//! database, sign each request, POST it, and settle the row by the outcome.

mod metrics;
mod worker;

pub use metrics::Metrics;
pub use worker::{DeliveryWorker, WorkerSettings};
