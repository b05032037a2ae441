//! Text hygiene (issue 12, item 5): a NUL character in any text a client sends is refused with
//! 422 naming the field, and one in a URL with 400, on SQLite and on PostgreSQL (which cannot
//! store a NUL at all): nothing answers 500, and nothing is stored.

mod common;

use common::{Api, befriend, instance, member};
use enishi_testkit::TestDb;
use serde_json::{Value, json};

enishi_testkit::main!(db: [nul_characters_are_refused_by_name_and_nothing_is_stored]);

async fn nul_characters_are_refused_by_name_and_nothing_is_stored(t: TestDb) -> anyhow::Result<()> {
    let run = instance(&t).await?;
    let alice = member(&run, "alice").await?;
    let bob = member(&run, "bob").await?;
    befriend(&alice, &bob).await?;
    let (s, diary) = alice
        .api
        .post(
            "/api/v1/diaries",
            json!({"title": "clean", "body": "clean", "audience": "friends"}),
        )
        .await?;
    assert_eq!(s, 201, "{diary}");
    let d = diary["id"].as_str().unwrap();
    let nul = "a\u{0}b";
    // (method, path, body, the field the answer must name)
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/api/v1/diaries".into(),
            json!({"title": nul, "body": "x"}),
            "title",
        ),
        (
            "POST",
            "/api/v1/diaries".into(),
            json!({"title": "x", "body": nul}),
            "body",
        ),
        (
            "PATCH",
            format!("/api/v1/diaries/{d}"),
            json!({"body": nul}),
            "body",
        ),
        (
            "POST",
            "/api/v1/voices".into(),
            json!({"text": nul}),
            "text",
        ),
        (
            "POST",
            format!("/api/v1/diaries/{d}/comments"),
            json!({"text": nul}),
            "text",
        ),
        (
            "POST",
            "/api/v1/users/bob/introductions".into(),
            json!({"text": nul}),
            "text",
        ),
        (
            "PATCH",
            "/api/v1/me/profile".into(),
            json!({"nickname": nul}),
            "nickname",
        ),
        (
            "PATCH",
            "/api/v1/me/profile".into(),
            json!({"bio": nul}),
            "bio",
        ),
        (
            "PATCH",
            "/api/v1/me/profile".into(),
            json!({"fields": [{"name": "ok", "value": nul, "audience": "public"}]}),
            "fields[0].value",
        ),
        (
            "POST",
            "/api/v1/friends/requests".into(),
            json!({"target": nul}),
            "target",
        ),
        (
            "POST",
            "/api/v1/friends/requests".into(),
            json!({"target": "bob", "message": nul}),
            "message",
        ),
        (
            "POST",
            "/api/v1/blocks".into(),
            json!({"target": nul}),
            "target",
        ),
        (
            "POST",
            "/api/v1/sessions".into(),
            json!({"username": nul, "password": "x"}),
            "username",
        ),
    ];
    for (method, path, body, field) in &cases {
        let (s, answer) = match *method {
            "POST" => alice.api.post(path, body.clone()).await?,
            _ => alice.api.patch(path, body.clone()).await?,
        };
        assert_eq!(s, 422, "{method} {path} {body}: {answer}");
        assert_eq!(answer["error"], "validation_failed", "{path}: {answer}");
        assert_eq!(answer["field"], *field, "{method} {path}: {answer}");
    }
    // In a URL: a handle, an id, a query parameter.
    let anon = Api::new(&run.base_url, None);
    for path in [
        "/api/v1/users/a%00b",
        "/api/v1/users/a%00b/diaries",
        "/api/v1/diaries/x%00y",
        "/api/v1/timeline?cursor=%00",
        "/users/a%00b",
    ] {
        let (s, answer) = alice.api.get(path).await?;
        assert_eq!(s, 400, "{path}: {answer}");
        assert_eq!(answer["error"], "invalid_url", "{path}: {answer}");
        let (s, _) = anon.get(path).await?;
        assert_eq!(s, 400, "anonymous {path}");
    }
    // Nothing of it was stored.
    let (_, me) = alice.api.get("/api/v1/me").await?;
    assert!(!me.to_string().contains("\\u0000"), "{me}");
    let voices = alice.api.ok("/api/v1/users/alice/voices").await?;
    assert_eq!(voices["items"].as_array().map_or(0, Vec::len), 0);
    let (_, d) = alice.api.get(&format!("/api/v1/diaries/{d}")).await?;
    assert_eq!(d["body"], "clean");
    run.stop().await
}
