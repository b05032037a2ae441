//! The scenarios of issue 13, each a few people in browsers of their own on one instance or
//! two, doing everything through the pages. Along the way each main page is checked with
//! axe-core and for attacker script, and photographed at a phone's size.

use super::flows::{
    PASSWORD, comment, ensure_at, ensure_no_trace, ensure_text, like, log_in, look, sign_up, start,
    submit, submit_ending, wait_for_text, write_diary, write_voice,
};
use enishi_federation_tests::browser::{BrowserOptions, Driver, SCRIPT_PAYLOADS};
use enishi_federation_tests::cluster;
use enishi_testkit::TestDb;

/// Scenario 1 (and the accessibility of the main pages, 6): two members who signed up with
/// an invite befriend each other; a friends-only diary reaches the friend, who comments and
/// likes; a third member and a visitor find no trace of it.
pub async fn friends_share_a_diary_nobody_else_sees(t: TestDb) -> anyhow::Result<()> {
    let db = t.kind.name();
    let shot = |page: &str| Some(format!("{page}-{db}"));
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    let invite = enishi_db::invites::create(&node.run.db, None, 5, None).await?;
    let driver = Driver::start().await?;
    let aiko = driver.browser(BrowserOptions::default()).await?;
    let ben = driver.browser(BrowserOptions::default()).await?;
    let visitor = driver.browser(BrowserOptions::default()).await?;

    // The visitor's pages: the front page, the sign-up and login forms.
    visitor.goto(&format!("{base}/")).await?;
    look(&visitor, shot("front")).await?;
    visitor.goto(&format!("{base}/signup")).await?;
    look(&visitor, shot("signup")).await?;
    visitor.goto(&format!("{base}/login")).await?;
    look(&visitor, shot("login")).await?;

    sign_up(&aiko, &base, Some(&invite.code), "aiko").await?;
    // A new member's empty home tells them what to do next.
    look(&aiko, shot("home-new-member")).await?;
    sign_up(&ben, &base, Some(&invite.code), "ben").await?;

    // Aiko asks from Ben's profile; Ben approves on his requests page.
    aiko.goto(&format!("{base}/users/ben")).await?;
    aiko.click(&submit("/friends/requests")).await?;
    ensure_at(&aiko, "/users/ben").await?;
    ensure_text(&aiko, &["Friend request sent"]).await?;
    ben.goto(&format!("{base}/friends/requests")).await?;
    ensure_text(&ben, &["@aiko@"]).await?;
    look(&ben, shot("friend-requests")).await?;
    ben.click(&submit_ending("/accept")).await?;
    ben.goto(&format!("{base}/friends")).await?;
    ensure_text(&ben, &["@aiko@"]).await?;
    look(&ben, shot("friends")).await?;
    aiko.goto(&format!("{base}/users/ben")).await?;
    ensure_text(&aiko, &["You are friends"]).await?;

    // Aiko writes a friends-only diary.
    aiko.goto(&format!("{base}/diaries/new")).await?;
    look(&aiko, shot("diary-form")).await?;
    let title = "Cherry blossoms at Ueno";
    let body = "The path by the pond was pink from end to end; we ate dango under the trees.";
    let diary = write_diary(&aiko, &base, title, body, "friends").await?;
    ensure_text(&aiko, &["Friends"]).await?;

    // Ben sees it on his home page and on its page, comments and likes.
    ben.goto(&format!("{base}/")).await?;
    ensure_text(&ben, &[title]).await?;
    write_voice(&ben, &base, "Off to see the blossoms too.", "friends").await?;
    ensure_text(&ben, &[title, "Off to see the blossoms too."]).await?;
    look(&ben, shot("home-member")).await?;
    ben.goto(&diary).await?;
    ensure_text(&ben, &[title, body]).await?;
    let remark = "Lovely! Save me some dango next time.";
    comment(&ben, remark).await?;
    like(&ben).await?;
    ensure_text(&ben, &[remark]).await?;
    let likers = ben.text_of("#likes").await?;
    anyhow::ensure!(likers.contains("@ben@"), "Ben among the likers: {likers:?}");
    aiko.goto(&diary).await?;
    comment(&aiko, "Next time, the three of us!").await?;
    ensure_text(&aiko, &[remark, "Next time, the three of us!"]).await?;
    // From its top, as it opens from a link.
    aiko.goto(&diary).await?;
    look(&aiko, shot("diary")).await?;

    // Aiko's other pages now have something on them.
    aiko.goto(&format!("{base}/notifications")).await?;
    ensure_text(&aiko, &["ben"]).await?;
    look(&aiko, shot("notifications")).await?;
    aiko.goto(&format!("{base}/footprints")).await?;
    ensure_text(&aiko, &["ben"]).await?;
    look(&aiko, shot("footprints")).await?;
    aiko.goto(&format!("{base}/users/aiko")).await?;
    look(&aiko, shot("profile")).await?;
    aiko.goto(&format!("{base}/settings")).await?;
    look(&aiko, shot("settings")).await?;
    aiko.goto(&format!("{base}/settings/profile")).await?;
    look(&aiko, shot("profile-settings")).await?;

    // Neither a third member nor a visitor gets any trace of it.
    let chika = driver.browser(BrowserOptions::default()).await?;
    sign_up(&chika, &base, Some(&invite.code), "chika").await?;
    let secrets = [title, body, remark];
    for (who, b, pages) in [
        (
            "chika",
            &chika,
            &["", "/", "/timeline", "/users/aiko", "/users/aiko/diaries"][..],
        ),
        (
            "a visitor",
            &visitor,
            &["", "/", "/users/aiko", "/users/aiko/diaries"][..],
        ),
    ] {
        for page in pages {
            let url = if page.is_empty() {
                diary.clone()
            } else {
                format!("{base}{page}")
            };
            ensure_no_trace(b, &url, &secrets)
                .await
                .map_err(|e| e.context(format!("as {who}")))?;
            if page.is_empty() {
                let heading = b.text_of("main h1").await?;
                anyhow::ensure!(heading == "Not found", "{who} on the diary: {heading:?}");
            }
        }
    }

    // An administrator's pages.
    let keys = tokio::task::spawn_blocking(enishi_apub::keys::generate_actor_keys).await?;
    enishi_db::accounts::create(
        &node.run.db,
        &node.run.config.instance,
        enishi_db::accounts::NewMember {
            username: "admin",
            password: PASSWORD,
            is_admin: true,
            keys,
        },
    )
    .await?;
    log_in(&visitor, &base, "admin").await?;
    // A blocked server, so that its list and the audit log have rows to show.
    enishi_db::domain_blocks::block(
        &node.run.db,
        enishi_db::domain_blocks::NewBlock {
            domain: "spam.example".into(),
            severity: enishi_core::moderation::Severity::Reject,
            private_comment: Some("spam wave".into()),
            public_comment: Some("Spam".into()),
        },
        "admin",
    )
    .await?;
    // A report, so that the queue and a report's page have something to show.
    let reporter = enishi_db::actors::find_local_person(&node.run.db, "chika")
        .await?
        .ok_or_else(|| anyhow::anyhow!("chika"))?;
    let target = enishi_db::actors::find_local_person(&node.run.db, "aiko")
        .await?
        .ok_or_else(|| anyhow::anyhow!("aiko"))?;
    let report = enishi_db::reports::create(
        &node.run.db,
        &node.run.config.instance,
        enishi_db::reports::NewReport {
            reporter: &reporter,
            target: &target,
            object_ids: &[],
            reason: enishi_core::report::ReportReason::Spam,
            comment: "Spamming the community",
            forward: false,
        },
    )
    .await?;
    let report_page = format!("/admin/reports/{}", report.public_id);
    for (page, name) in [
        ("/admin", "admin"),
        ("/admin/invites", "admin-invites"),
        ("/admin/members", "admin-members"),
        ("/admin/domains", "admin-domains"),
        ("/admin/audit", "admin-audit"),
        ("/admin/reports", "admin-reports"),
        (report_page.as_str(), "admin-report"),
        ("/report?target=aiko", "report-form"),
        ("/settings/archive", "archive"),
        ("/settings/delete", "leave"),
        ("/settings/move", "move"),
    ] {
        visitor.goto(&format!("{base}{page}")).await?;
        look(&visitor, shot(name)).await?;
    }

    for b in [aiko, ben, chika, visitor] {
        b.close().await?;
    }
    node.stop().await
}

/// Scenario 2: a friend writes an introduction on the subject's profile; it shows there, to
/// a visitor too (the subject shows introductions to everyone), until its subject hides it.
pub async fn an_introduction_is_written_shown_and_hidden(t: TestDb) -> anyhow::Result<()> {
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    let (aiko, ben) = (node.member("aiko").await?, node.member("ben").await?);
    cluster::befriend(&aiko, &ben).await?;
    let driver = Driver::start().await?;
    let (subject, writer, visitor) = (
        driver.browser(BrowserOptions::default()).await?,
        driver.browser(BrowserOptions::default()).await?,
        driver.browser(BrowserOptions::default()).await?,
    );
    let profile = format!("{base}/users/aiko");

    // Aiko shows her introductions to everyone.
    log_in(&subject, &base, "aiko").await?;
    subject.goto(&format!("{base}/settings")).await?;
    subject.fill("introductions_audience", "public").await?;
    subject.click(&submit("/settings")).await?;

    log_in(&writer, &base, "ben").await?;
    writer.goto(&profile).await?;
    let text = "Aiko always knows the best bakery in town.";
    writer.fill("text", text).await?;
    writer.click(&submit_ending("/introductions")).await?;
    ensure_at(&writer, "/users/aiko").await?;
    ensure_text(&writer, &[text]).await?;

    visitor.goto(&profile).await?;
    ensure_text(&visitor, &[text]).await?;

    subject.goto(&profile).await?;
    ensure_text(&subject, &[text]).await?;
    subject.click(&submit_ending("/hide")).await?;
    ensure_at(&subject, "/users/aiko").await?;
    // Its subject still sees it, marked hidden, with the button to show it again.
    ensure_text(&subject, &[text]).await?;
    subject.text_of(&submit_ending("/show")).await?;

    // Gone for everyone else (its writer still sees it, as the API's list has it).
    ensure_no_trace(&visitor, &profile, &[text]).await?;

    for b in [subject, writer, visitor] {
        b.close().await?;
    }
    node.stop().await
}

/// Scenario 3, and a remote post's script (4): a member asks a member of another instance
/// from the find page, who approves there; the friends-only diary then reaches the remote
/// friend's home page, and the remote friend's post with attacker script reaches the first
/// instance's home page as text.
pub async fn a_friend_on_another_instance_sees_a_friends_only_diary(
    t: TestDb,
) -> anyhow::Result<()> {
    let db = t.kind.name();
    let (here, there) = (start(t.kind).await?, start(t.kind).await?);
    let (base_here, base_there) = (here.run.base_url.clone(), there.run.base_url.clone());
    here.member("aiko").await?;
    there.member("dan").await?;
    let driver = Driver::start().await?;
    let aiko = driver.browser(BrowserOptions::default()).await?;
    let dan = driver.browser(BrowserOptions::default()).await?;
    log_in(&aiko, &base_here, "aiko").await?;
    log_in(&dan, &base_there, "dan").await?;

    let dan_handle = format!("dan@{}", there.domain());
    aiko.goto(&format!("{base_here}/friends/find?q=@{dan_handle}"))
        .await?;
    ensure_text(&aiko, &[&format!("@{dan_handle}")]).await?;
    aiko.click(&submit("/friends/requests")).await?;
    ensure_text(&aiko, &["Friend request sent"]).await?;

    let requests = format!("{base_there}/friends/requests");
    wait_for_text(&dan, &requests, &format!("@aiko@{}", here.domain())).await?;
    dan.click(&submit_ending("/accept")).await?;
    wait_for_text(
        &aiko,
        &format!("{base_here}/@{dan_handle}"),
        "You are friends",
    )
    .await?;

    let title = "A letter to a faraway friend";
    let body = "Dan, the plum trees here have started to bloom.";
    write_diary(&aiko, &base_here, title, body, "friends").await?;
    wait_for_text(&dan, &format!("{base_there}/"), title).await?;
    dan.screenshot(&format!("home-remote-friend-{db}")).await?;

    // Dan's voice post, attacker script in it, on Aiko's home page.
    let payload = SCRIPT_PAYLOADS[..3].join(" ");
    write_voice(&dan, &base_there, &payload, "friends").await?;
    wait_for_text(&aiko, &format!("{base_here}/"), SCRIPT_PAYLOADS[0]).await?;
    ensure_text(&aiko, &SCRIPT_PAYLOADS[..3]).await?;
    look(&aiko, Some(format!("home-remote-post-{db}"))).await?;

    aiko.close().await?;
    dan.close().await?;
    here.stop().await?;
    there.stop().await
}

/// Scenario 4: attacker script in a diary's title and body, in a comment and in a nickname
/// shows as text on every page that shows them, and never runs.
pub async fn script_in_posts_comments_and_names_does_not_run(t: TestDb) -> anyhow::Result<()> {
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    let (mallory, vic) = (node.member("mallory").await?, node.member("vic").await?);
    cluster::befriend(&mallory, &vic).await?;
    let driver = Driver::start().await?;
    let (attacker, victim) = (
        driver.browser(BrowserOptions::default()).await?,
        driver.browser(BrowserOptions::default()).await?,
    );
    log_in(&attacker, &base, "mallory").await?;
    log_in(&victim, &base, "vic").await?;

    // A nickname that breaks out of an attribute (50 characters at most).
    let nickname = SCRIPT_PAYLOADS[3];
    attacker.goto(&format!("{base}/settings/profile")).await?;
    attacker.fill("nickname", nickname).await?;
    attacker.click(&submit("/settings/profile")).await?;
    let title = SCRIPT_PAYLOADS[4];
    let body = SCRIPT_PAYLOADS.join("\n\n");
    let diary = write_diary(&attacker, &base, title, &body, "friends").await?;
    attacker.assert_no_script_ran().await?;

    // Vic writes a diary; Mallory comments on it.
    let own = write_diary(
        &victim,
        &base,
        "My quiet weekend",
        "Nothing happened.",
        "friends",
    )
    .await?;
    attacker.goto(&own).await?;
    comment(&attacker, &body).await?;
    attacker.assert_no_script_ran().await?;

    // (page, whether it names Mallory)
    for (page, names) in [
        (format!("{base}/"), true),
        (format!("{base}/timeline"), false),
        (diary.clone(), true),
        (own.clone(), true),
        (format!("{base}/users/mallory"), true),
        (format!("{base}/users/mallory/diaries"), false),
        (format!("{base}/users/vic/friends"), true),
        (format!("{base}/notifications"), true),
        (format!("{base}/footprints"), true),
    ] {
        victim.goto(&page).await?;
        victim
            .assert_no_script_ran()
            .await
            .map_err(|e| e.context(format!("on {page}")))?;
        if names {
            ensure_text(&victim, &[nickname]).await?;
        }
    }
    victim.assert_csp_blocks_injected_script().await?;
    // The diary and the comment show every payload as text.
    for page in [&diary, &own] {
        victim.goto(page).await?;
        ensure_text(&victim, SCRIPT_PAYLOADS).await?;
        victim.assert_no_script_ran().await?;
    }
    victim.goto(&diary).await?;
    ensure_text(&victim, &[title]).await?;

    attacker.close().await?;
    victim.close().await?;
    node.stop().await
}

/// Scenario 5: a browser set to Japanese signs up, finds its home page in Japanese and posts
/// a voice.
pub async fn a_japanese_browser_gets_japanese_pages(t: TestDb) -> anyhow::Result<()> {
    let db = t.kind.name();
    let node = start(t.kind).await?;
    let base = node.run.base_url.clone();
    let invite = enishi_db::invites::create(&node.run.db, None, 1, None).await?;
    let driver = Driver::start().await?;
    let yuki = driver
        .browser(BrowserOptions::default().language("ja"))
        .await?;

    yuki.goto(&format!("{base}/")).await?;
    ensure_text(&yuki, &["ログイン"]).await?;
    sign_up(&yuki, &base, Some(&invite.code), "yuki").await?;
    let lang = yuki
        .execute("return document.documentElement.lang;", vec![])
        .await?;
    anyhow::ensure!(lang == "ja", "<html lang>: {lang}");
    let nav = yuki.text_of("header.site nav").await?;
    for label in ["ホーム", "日記を書く", "マイミク"] {
        anyhow::ensure!(nav.contains(label), "{label:?} in the navigation: {nav:?}");
    }
    ensure_text(&yuki, &["いまどうしてる？"]).await?;
    let voice = "はじめまして、ゆきです。よろしくお願いします！";
    write_voice(&yuki, &base, voice, "members").await?;
    ensure_text(&yuki, &[voice, "つぶやく"]).await?;
    look(&yuki, Some(format!("home-ja-{db}"))).await?;
    yuki.goto(&format!("{base}/diaries/new")).await?;
    ensure_text(&yuki, &["日記を書く"]).await?;
    look(&yuki, None).await?;

    yuki.close().await?;
    node.stop().await
}
