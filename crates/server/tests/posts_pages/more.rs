//! Voice posts from the home page's composer, and the lists that page backwards: the home
//! timeline's older pages and a member's diaries.

use crate::common::{befriend, instance, items, member};
use crate::{logged_in, redirects};
use enishi_testkit::TestDb;
use enishi_testkit::web::WebClient;
use serde_json::json;

pub async fn voice_posts_from_the_composer(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let a = logged_in(&run.base_url, "alice").await?;
    let b = logged_in(&run.base_url, "bob").await?;
    let home = a.get("/").await?;
    assert!(home.html.contains("action=\"/voices\""));
    let r = a
        .post(
            "/voices",
            &[("text", "Rainy Tuesday"), ("audience", "friends")],
        )
        .await?;
    assert!(redirects(&r, "/"), "{r:?}");
    let r = a
        .post("/voices", &[("text", ""), ("audience", "friends")])
        .await?;
    assert_eq!(r.status, 422, "empty text is refused");
    let voices = alice.api.ok("/api/v1/users/alice/voices").await?;
    assert_eq!(items(&voices, "text"), ["Rainy Tuesday"]);
    let id = voices["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/voices/{id}");
    assert!(
        b.get("/").await?.html.contains(&path),
        "the friend's home links it"
    );
    let page = b.get(&path).await?;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Rainy Tuesday"));
    assert_eq!(
        b.post(&format!("{path}/comments"), &[("text", "Stay dry")])
            .await?
            .status,
        303
    );
    assert_eq!(b.post(&format!("{path}/like"), &[]).await?.status, 303);
    assert_eq!(
        b.post(
            &format!("{path}/edit"),
            &[("text", "x"), ("audience", "public")]
        )
        .await?
        .status,
        403
    );
    let page = a.get(&path).await?;
    assert!(page.html.contains("Stay dry") && page.html.contains("1 like"));
    let r = a
        .post(
            &format!("{path}/edit"),
            &[("text", "Sunny Tuesday"), ("audience", "public")],
        )
        .await?;
    assert!(redirects(&r, &path), "{r:?}");
    assert!(
        WebClient::new(&run.base_url)
            .get(&path)
            .await?
            .html
            .contains("Sunny Tuesday"),
        "now public"
    );
    let r = a.post(&format!("{path}/delete"), &[]).await?;
    assert!(redirects(&r, "/"));
    assert_eq!(b.get(&path).await?.status, 404);
    run.stop().await
}

pub async fn timeline_and_diary_list_page_backwards(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    for i in 0..23 {
        let (s, _) = bob
            .api
            .post(
                "/api/v1/diaries",
                json!({"title": format!("Day {i:02}"), "body": "…", "audience": "friends"}),
            )
            .await?;
        assert_eq!(s, 201);
    }
    let a = logged_in(&run.base_url, "alice").await?;
    let home = a.get("/").await?;
    assert!(
        home.html.contains("Day 22") && !home.html.contains("Day 02"),
        "home has the newest 20"
    );
    let at = home.html.find("/timeline?before=").expect("an older link");
    let link: String = home.html[at..].chars().take_while(|c| *c != '"').collect();
    let older = a.get(&link).await?;
    assert_eq!(older.status, 200);
    for i in 0..3 {
        assert!(
            older.html.contains(&format!("Day {i:02}")),
            "older page has Day {i:02}"
        );
    }
    assert!(!older.html.contains("Day 22") && !older.html.contains("/timeline?before="));
    assert_eq!(a.get("/timeline?before=abc").await?.status, 400);
    let visitor = WebClient::new(&run.base_url).get("/timeline").await?;
    assert!(redirects(&visitor, "/login"), "{visitor:?}");

    let list = a.get("/users/bob/diaries").await?;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("Day 22") && list.html.contains("/users/bob/diaries?before="));
    let anon = WebClient::new(&run.base_url)
        .get("/users/bob/diaries")
        .await?;
    assert_eq!(anon.status, 200);
    assert!(
        !anon.html.contains("Day "),
        "friends-only diaries are not listed for visitors"
    );
    assert_eq!(a.get("/users/nobody/diaries").await?.status, 404);
    run.stop().await
}
