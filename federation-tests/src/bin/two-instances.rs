//! `scripts/two-instances`: two Enishi instances on loopback for trying federation by hand,
//! with demo members, a cross-instance friendship and some content. Prints their URLs and API
//! tokens, and stops cleanly (removing its databases) on Ctrl-C.

use clap::Parser;
use enishi_federation_tests::cluster::{Member, Node, befriend};
use enishi_testkit::DbKind;
use serde_json::json;

/// Two local instances with demo content.
#[derive(Parser)]
struct Args {
    /// Database engine: sqlite or postgres (PostgreSQL at ENISHI_TEST_POSTGRES_URL).
    #[arg(long, default_value = "sqlite")]
    db: String,
    /// Ports of the two instances (0 = any free port).
    #[arg(long, num_args = 2, default_values_t = [8081u16, 8082u16])]
    ports: Vec<u16>,
    /// Stop after setting up (for scripted checks) instead of waiting for Ctrl-C.
    #[arg(long)]
    no_wait: bool,
}

async fn post(m: &Member, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
    let (s, b) = m.api.post(path, body).await?;
    anyhow::ensure!(s.is_success(), "{} {path}: {s} {b}", m.name);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let kind = match args.db.as_str() {
        "sqlite" => DbKind::Sqlite,
        "postgres" => DbKind::Postgres,
        other => anyhow::bail!("--db must be sqlite or postgres, not {other:?}"),
    };
    let a = Node::start_on(kind, args.ports[0]).await?;
    let b = Node::start_on(kind, args.ports[1]).await?;
    let alice = a.member("alice").await?;
    let erin = a.member("erin").await?;
    let bob = b.member("bob").await?;
    let carol = b.member("carol").await?;
    befriend(&alice, &bob).await?;
    befriend(&erin, &carol).await?;
    post(
        &alice,
        "/api/v1/diaries",
        json!({"title": "Hello from A", "body": "Only my friends read this.", "audience": "friends"}),
    )
    .await?;
    post(
        &bob,
        "/api/v1/voices",
        json!({"text": "Good morning, everyone", "audience": "public"}),
    )
    .await?;
    post(
        &carol,
        "/api/v1/diaries",
        json!({"title": "Members only", "body": "This never leaves B.", "audience": "members"}),
    )
    .await?;
    println!("instance A: {}", a.run.base_url);
    println!("instance B: {}", b.run.base_url);
    for m in [&alice, &erin, &bob, &carol] {
        println!(
            "  {:<28} token {}",
            m.handle,
            m.api.token().unwrap_or_default()
        );
    }
    println!("friends across instances: alice–bob, erin–carol");
    println!(
        "try: curl -H 'Authorization: Bearer <token>' {}/api/v1/timeline",
        b.run.base_url
    );
    if !args.no_wait {
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c().await?;
    }
    a.stop().await?;
    b.stop().await?;
    println!("stopped; databases removed");
    Ok(())
}
