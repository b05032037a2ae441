//! What a tick of new posts and notifications becomes on one connection: each post read once
//! through the audience rule and sent on every stream of the connection it fits, and the
//! member's own notifications.

use super::{Kind, Listener, Stream, Tick};
use crate::AppState;
use crate::mastodon::entities;
use enishi_core::{Audience, Viewer};
use serde_json::json;
use std::collections::BTreeSet;

fn frame(stream: &Stream, event: &str, payload: String) -> String {
    json!({"stream": stream.names(), "event": event, "payload": payload}).to_string()
}

/// The frames a tick makes for one connection: every post it may read on each of its streams,
/// and the member's own notifications — only rows newer than `opened` (the newest post and
/// notification ids when the connection opened).
pub(super) async fn frames(
    state: &AppState,
    listener: &Listener,
    streams: &BTreeSet<Stream>,
    tick: &Tick,
    opened: (i64, i64),
) -> crate::mastodon::MastoResult<Vec<String>> {
    let member = listener.member.as_ref();
    let mut out = Vec::new();
    if streams.is_empty() {
        return Ok(out);
    }
    let viewer = member.map_or(Viewer::ANONYMOUS, |m| Viewer::member(m.actor.id));
    for p in tick.posts.iter().filter(|p| p.id > opened.0) {
        // Each post is read once for the connection, however many of its streams want it:
        // whether the member follows the author, then the post through the audience rule.
        let mut follows: Option<bool> = None;
        let mut view: Option<Option<enishi_db::posts::PostView>> = None;
        let mut shown = None;
        for stream in streams {
            let wanted = match stream.kind {
                Kind::User => {
                    let Some(me) = member else { continue };
                    if follows.is_none() {
                        let rel = enishi_db::social::relationship(&state.db, me.actor.id, p.author)
                            .await?;
                        follows = Some(me.actor.id == p.author || rel.friend || rel.following);
                    }
                    follows == Some(true)
                }
                Kind::Public | Kind::PublicLocal | Kind::Hashtag => true,
                Kind::UserNotifications | Kind::Silent => false,
            };
            if !wanted {
                continue;
            }
            // Read through the audience rule, as every other read: what the viewer may not
            // see is never sent.
            if view.is_none() {
                view = Some(
                    match enishi_db::posts::get_visible(&state.db, &viewer, p.kind, &p.public_id)
                        .await
                    {
                        Ok(v) => Some(v),
                        Err(enishi_db::OpError::NotFound(_)) => None,
                        Err(e) => return Err(e.into()),
                    },
                );
            }
            let Some(Some(view)) = &view else { break };
            let public_enough = view.post.audience == Audience::Public;
            let fits = match stream.kind {
                Kind::User => true,
                // Enishi keeps no federated firehose: public streams carry this server's public
                // posts, as `GET /api/v1/timelines/public` does.
                Kind::Public | Kind::PublicLocal => public_enough && view.author.is_local,
                Kind::Hashtag => {
                    let tag = stream.tag.as_deref().unwrap_or("").to_lowercase();
                    public_enough
                        && (stream.name != "hashtag:local" || view.author.is_local)
                        && view.post.tags.iter().any(|t| {
                            matches!(t, enishi_core::mention::Tag::Hashtag { name } if *name == tag)
                        })
                }
                Kind::UserNotifications | Kind::Silent => false,
            };
            if !fits || (stream.media_only && view.post.media.is_empty()) {
                continue;
            }
            if shown.is_none() {
                shown = Some(
                    entities::status(state, &viewer, view.clone())
                        .await?
                        .to_string(),
                );
            }
            if let Some(s) = &shown {
                out.push(frame(stream, "update", s.clone()));
            }
        }
    }
    let notified: Vec<&Stream> = streams
        .iter()
        .filter(|s| matches!(s.kind, Kind::User | Kind::UserNotifications))
        .collect();
    if let Some(me) = member
        && listener.notices
        && !notified.is_empty()
    {
        for n in tick
            .notifications
            .iter()
            .filter(|n| n.recipient == me.actor.id && n.id > opened.1)
        {
            let list =
                enishi_db::notifications::list(&state.db, &viewer, Some(n.id + 1), 1).await?;
            for mut found in list.into_iter().filter(|f| f.id == n.id) {
                crate::api::redact(state, &viewer, [&mut found.actor]).await?;
                if let Some(v) = entities::notification(state, &viewer, found).await? {
                    for stream in &notified {
                        out.push(frame(stream, "notification", v.to_string()));
                    }
                }
            }
        }
    }
    Ok(out)
}
