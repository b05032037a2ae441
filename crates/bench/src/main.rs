//! `enishi-bench`: benchmark programs whose figures go in the README.
//!
//! `enishi-bench timeline` seeds a database with a member who has 500 friends among 2,000
//! members and 100,000 diaries and voice posts, starts the real `enishi` binary on it, and
//! measures the home timeline over HTTP: p50/p99 latency and the server's peak RSS, on SQLite
//! and on PostgreSQL.
//!
//! `enishi-bench fanout` sends one activity to 1,000 inboxes on loopback receivers that verify
//! every signature, and compares the delivery rate with the machine's RSA signing rate and with
//! the federation crate's own sending path.
//!
//! `enishi-bench pages` seeds the timeline benchmark's database plus a diary with 50
//! comments, serves it in-process through the real router, and measures the HTML render time
//! of the member's home page and of that diary page (p50/p99 over loopback HTTP).
//!
//! `enishi-bench scale` runs N web processes and N delivery workers on one PostgreSQL database
//! and reports timeline throughput, fan-out rate and the CPU each costs.
//!
//! `enishi-bench media` uploads a 3 MB phone JPEG one after another and in a burst, and
//! serves a thumbnail: uploads per second, the burst's peak RSS, and thumbnail latency.
//!
//! `enishi-bench ingest` floods the shared inbox of an `enishi serve` process with signed
//! `Create{Note}`s (one sender, many strangers, replies to a diary) and the Fedify peer with the
//! same, and reports the rates, latencies and CPU per activity side by side.
//!
//! `enishi-bench footprint` starts `enishi serve` on fresh SQLite data directories: the
//! binary's size, the time to its first answer, and its resident memory idle and after 1,000
//! API requests.

mod fanout;
mod footprint;
mod ingest;
mod media;
mod pages;
mod scale;
mod timeline;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "enishi-bench",
    about = "Enishi benchmarks (build with --release)"
)]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Home timeline latency for a member with many friends on a large database.
    Timeline(timeline::Args),
    /// One activity to 1,000 inboxes through the outbox, against the signing limit.
    Fanout(fanout::Args),
    /// Render time of a member's home page and of a diary with 50 comments, as HTML.
    Pages(pages::Args),
    /// Photo uploads per second, memory of a burst of uploads, thumbnail latency.
    Media(media::Args),
    /// Signed `Create{Note}` floods into the shared inbox, against the Fedify peer.
    Ingest(ingest::Args),
    /// Binary size, start-up time to the first answer, and idle memory of `enishi serve`.
    Footprint(footprint::Args),
    /// PostgreSQL with N web and N worker processes: timeline throughput, fan-out rate, and
    /// the CPU each costs Enishi and PostgreSQL.
    Scale(scale::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Timeline(args) => timeline::run(args).await,
        Bench::Fanout(args) => fanout::run(args).await,
        Bench::Pages(args) => pages::run(args).await,
        Bench::Media(args) => media::run(args).await,
        Bench::Footprint(args) => footprint::run(args).await,
        Bench::Ingest(args) => ingest::run(args).await,
        Bench::Scale(args) => scale::run(args).await,
    }
}
