//! The activities that announce local changes (DESIGN §4), built for the database layer,
//! which queues them in the change's own transaction.

use crate::context::default_context;
use crate::federate::{PUBLIC, comment_object, followers_of, introduction_object, post_object};
use enishi_core::{Actor, InstanceSettings};
use enishi_db::federation::{Event, Herald, IntroductionAnswer};
use enishi_db::outbox::Announcement;
use serde_json::{Value, json};
use std::sync::Arc;

/// Builds Enishi's activities as Mastodon, GoToSocial and Misskey read them.
#[derive(Debug, Clone)]
pub struct ActivityHerald {
    settings: Arc<InstanceSettings>,
}

impl ActivityHerald {
    /// A herald for this instance.
    pub fn new(settings: Arc<InstanceSettings>) -> Self {
        ActivityHerald { settings }
    }

    fn new_id(&self) -> String {
        self.settings
            .url(&format!("/activities/{}", uuid_v7()))
            .to_string()
    }

    fn wrap(
        &self,
        id: String,
        kind: &str,
        actor: &Actor,
        object: Value,
        to: Value,
    ) -> Announcement {
        let activity = json!({
            "@context": default_context(),
            "id": id,
            "type": kind,
            "actor": actor.ap_id.as_str(),
            "object": object,
            "to": to,
        });
        Announcement {
            id,
            body: activity.to_string(),
        }
    }
}

fn follow_object(id: &str, follower: &Actor, followee: &Actor) -> Value {
    json!({
        "id": id,
        "type": "Follow",
        "actor": follower.ap_id.as_str(),
        "object": followee.ap_id.as_str(),
    })
}

impl Herald for ActivityHerald {
    fn announce(&self, event: &Event<'_>) -> Option<Announcement> {
        Some(match *event {
            Event::Follow {
                id,
                follower,
                followee,
            } => {
                let mut body = follow_object(id, follower, followee);
                body["@context"] = default_context();
                Announcement {
                    id: id.to_owned(),
                    body: body.to_string(),
                }
            }
            Event::AcceptFollow {
                id,
                follower,
                followee,
            } => self.wrap(
                self.new_id(),
                "Accept",
                followee,
                follow_object(id, follower, followee),
                json!([follower.ap_id.as_str()]),
            ),
            Event::RejectFollow {
                id,
                follower,
                followee,
            } => self.wrap(
                self.new_id(),
                "Reject",
                followee,
                follow_object(id, follower, followee),
                json!([follower.ap_id.as_str()]),
            ),
            Event::UndoFollow {
                id,
                follower,
                followee,
            } => self.wrap(
                self.new_id(),
                "Undo",
                follower,
                follow_object(id, follower, followee),
                json!([followee.ap_id.as_str()]),
            ),
            Event::FriendshipEnded { owner, former } => {
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Remove",
                    "actor": owner.ap_id.as_str(),
                    "object": former.ap_id.as_str(),
                    "target": followers_of(owner),
                    "to": [followers_of(owner)],
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::UpdateActor {
                actor,
                fields,
                images,
            } => {
                let mut object = serde_json::to_value(crate::convert::actor_to_wire(
                    actor,
                    fields,
                    images,
                    &self.settings,
                ))
                .ok()?;
                if let Some(o) = object.as_object_mut() {
                    o.remove("@context");
                }
                self.wrap(
                    self.new_id(),
                    "Update",
                    actor,
                    object,
                    json!(["https://www.w3.org/ns/activitystreams#Public"]),
                )
            }
            Event::CreatePost(view) | Event::UpdatePost(view) => {
                let object = post_object(view)?;
                let kind = if matches!(event, Event::CreatePost(_)) {
                    "Create"
                } else {
                    "Update"
                };
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": kind,
                    "actor": view.author.ap_id.as_str(),
                    "published": object["published"].clone(),
                    "to": object["to"].clone(),
                    "cc": object["cc"].clone(),
                    "object": object,
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::DeletePost { ap_id, author } => self.wrap(
                self.new_id(),
                "Delete",
                author,
                json!({ "id": ap_id.as_str(), "type": "Tombstone" }),
                json!([followers_of(author)]),
            ),
            Event::CreateComment {
                comment,
                author,
                parent,
            } => {
                let object = comment_object(comment, author, parent)?;
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Create",
                    "actor": author.ap_id.as_str(),
                    "to": object["to"].clone(),
                    "cc": object["cc"].clone(),
                    "object": object,
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::ForwardComment {
                comment,
                author,
                parent,
            } => {
                let object = comment_object(comment, author, parent)?;
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Add",
                    "actor": parent.author.ap_id.as_str(),
                    "to": [followers_of(&parent.author)],
                    "object": object,
                    "target": {
                        "id": format!("{}/replies", parent.post.ap_id),
                        "type": "OrderedCollection",
                        "attributedTo": parent.author.ap_id.as_str(),
                    },
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::DeleteComment {
                ap_id,
                actor,
                parent,
            } => self.wrap(
                self.new_id(),
                "Delete",
                actor,
                json!({ "id": ap_id.as_str(), "type": "Tombstone" }),
                json!([parent.author.ap_id.as_str(), followers_of(&parent.author)]),
            ),
            Event::Like { id, actor, parent } => {
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Like",
                    "actor": actor.ap_id.as_str(),
                    "object": parent.post.ap_id.as_str(),
                    "to": [parent.author.ap_id.as_str()],
                });
                Announcement {
                    id: id.to_owned(),
                    body: activity.to_string(),
                }
            }
            Event::UndoLike { id, actor, parent } => self.wrap(
                self.new_id(),
                "Undo",
                actor,
                json!({
                    "id": id,
                    "type": "Like",
                    "actor": actor.ap_id.as_str(),
                    "object": parent.post.ap_id.as_str(),
                }),
                json!([parent.author.ap_id.as_str()]),
            ),
            Event::Boost { id, actor, parent } => {
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Announce",
                    "actor": actor.ap_id.as_str(),
                    "published": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "object": parent.post.ap_id.as_str(),
                    "to": [PUBLIC],
                    "cc": [parent.author.ap_id.as_str(), followers_of(actor)],
                });
                Announcement {
                    id: id.to_owned(),
                    body: activity.to_string(),
                }
            }
            Event::UndoBoost { id, actor, parent } => self.wrap(
                self.new_id(),
                "Undo",
                actor,
                json!({
                    "id": id,
                    "type": "Announce",
                    "actor": actor.ap_id.as_str(),
                    "object": parent.post.ap_id.as_str(),
                }),
                json!([PUBLIC, parent.author.ap_id.as_str(), followers_of(actor)]),
            ),
            Event::RejectActivity {
                activity_id,
                actor,
                to,
            } => self.wrap(
                self.new_id(),
                "Reject",
                actor,
                json!(activity_id),
                json!([to.ap_id.as_str()]),
            ),
            Event::WriteIntroduction { intro, edited } => {
                let object = introduction_object(intro);
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": if edited { "Update" } else { "Create" },
                    "actor": intro.writer.ap_id.as_str(),
                    "to": [intro.subject.ap_id.as_str()],
                    "object": object,
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::DeleteIntroduction { ap_id, actor, to } => self.wrap(
                self.new_id(),
                "Delete",
                actor,
                json!({ "id": ap_id.as_str(), "type": "Tombstone" }),
                json!([to.ap_id.as_str()]),
            ),
            Event::AnswerIntroduction {
                ap_id,
                subject,
                writer,
                answer,
            } => {
                let kind = match answer {
                    IntroductionAnswer::Accept => "Accept",
                    IntroductionAnswer::Reject => "Reject",
                    IntroductionAnswer::Remove => "Remove",
                };
                let mut a = self.wrap(
                    self.new_id(),
                    kind,
                    subject,
                    json!(ap_id.as_str()),
                    json!([writer.ap_id.as_str()]),
                );
                if answer == IntroductionAnswer::Remove {
                    let mut body: serde_json::Value =
                        serde_json::from_str(&a.body).expect("just serialised");
                    body["target"] = json!(format!("{}/introductions", subject.ap_id));
                    a.body = body.to_string();
                }
                a
            }
            Event::Block {
                id,
                blocker,
                blocked,
            } => {
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Block",
                    "actor": blocker.ap_id.as_str(),
                    "object": blocked.ap_id.as_str(),
                    "to": [blocked.ap_id.as_str()],
                });
                Announcement {
                    id: id.to_owned(),
                    body: activity.to_string(),
                }
            }
            Event::Move { actor, target } => {
                let id = self.new_id();
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Move",
                    "actor": actor.ap_id.as_str(),
                    "object": actor.ap_id.as_str(),
                    "target": target.ap_id.as_str(),
                    "to": [actor.followers.as_ref().map(url::Url::as_str).unwrap_or_default()],
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::DeleteActor { actor } => {
                let id = format!("{}#delete", actor.ap_id);
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Delete",
                    "actor": actor.ap_id.as_str(),
                    "object": actor.ap_id.as_str(),
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                });
                Announcement {
                    id,
                    body: activity.to_string(),
                }
            }
            Event::Flag {
                id,
                actor,
                target,
                objects,
                content,
            } => {
                // Mastodon's shape: the account first, then what of its is reported.
                let mut named = vec![json!(target.ap_id.as_str())];
                named.extend(objects.iter().map(|o| json!(o)));
                let activity = json!({
                    "@context": default_context(),
                    "id": id,
                    "type": "Flag",
                    "actor": actor.ap_id.as_str(),
                    "content": content,
                    "object": named,
                    "to": [target.ap_id.as_str()],
                });
                Announcement {
                    id: id.to_owned(),
                    body: activity.to_string(),
                }
            }
            Event::UndoBlock {
                id,
                blocker,
                blocked,
            } => self.wrap(
                self.new_id(),
                "Undo",
                blocker,
                json!({
                    "id": id,
                    "type": "Block",
                    "actor": blocker.ap_id.as_str(),
                    "object": blocked.ap_id.as_str(),
                }),
                json!([blocked.ap_id.as_str()]),
            ),
        })
    }
}

/// A random, unguessable id part (128 bits, hex).
pub(crate) fn uuid_v7() -> String {
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
