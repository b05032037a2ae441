//! A member's avatar and header image across two instances, on SQLite and PostgreSQL: setting
//! them sends an `Update` of the actor, on which the remote friend's server reads the actor
//! anew and shows the avatar (`icon`); narrowing the avatar audience does the same without it,
//! and the remote copy of the URL, dead on the member's server, is forgotten there too.

use enishi_federation_tests::cluster::{Node, TEST_PHOTO, befriend, eventually};
use enishi_testkit::TestDb;
use serde_json::json;

enishi_testkit::main!(db: [a_remote_friend_s_server_follows_the_avatar_and_its_audience]);

async fn a_remote_friend_s_server_follows_the_avatar_and_its_audience(
    t: TestDb,
) -> anyhow::Result<()> {
    let a = Node::start(t.kind).await?;
    let b = Node::start(t.kind).await?;
    let a1 = a.member("a1").await?;
    let b1 = b.member("b1").await?;
    befriend(&a1, &b1).await?;
    let avatar = a1.upload_photo(TEST_PHOTO, "a1 waving").await?;
    let header = a1.upload_photo(TEST_PHOTO, "a1's garden").await?;
    let (s, p) = a1
        .api
        .patch(
            "/api/v1/me/profile",
            json!({"avatar_id": avatar["id"], "header_id": header["id"]}),
        )
        .await?;
    anyhow::ensure!(s == 200, "set images: {s} {p}");
    let url = p["avatar"]["url"].as_str().unwrap_or_default().to_owned();

    // B learns the avatar from the Update.
    let path = format!("/api/v1/users/{}", a1.handle);
    eventually("B shows a1's uploaded avatar", || async {
        let seen = b1.api.ok(&path).await?;
        Ok((seen["avatar_url"] == url.as_str()).then_some(()))
    })
    .await?;

    // Friends only: the old URL dies on A, and the Update without an icon clears it on B.
    let (s, _) = a1
        .api
        .patch("/api/v1/me/settings", json!({"avatar_audience": "friends"}))
        .await?;
    anyhow::ensure!(s == 200);
    let r = a.http.get(&url).send().await?;
    anyhow::ensure!(
        r.status() == 404,
        "the old avatar URL answered {}",
        r.status()
    );
    eventually("B forgets a1's avatar", || async {
        let seen = b1.api.ok(&path).await?;
        Ok(seen["avatar_url"].is_null().then_some(()))
    })
    .await?;
    a.stop().await?;
    b.stop().await
}
