//! What local changes tell other servers. The database layer decides *who* must hear of a
//! change (it knows the relationships) and queues the activity in the change's own transaction;
//! a [`Herald`] (implemented by the ActivityPub layer) decides what the activity looks like.

use crate::outbox::{self, Announcement, Outgoing};
use crate::posts::PostView;
use enishi_core::{Actor, Comment};
use sea_orm::{ConnectionTrait, DbErr};
use url::Url;

/// A change other servers must hear of, in the domain's words.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `follower` asks to follow `followee` (a friend request, or the approving side's follow
    /// back). `id` is the Follow's id.
    Follow {
        /// The Follow's id.
        id: &'a str,
        /// Who follows.
        follower: &'a Actor,
        /// Who is followed.
        followee: &'a Actor,
    },
    /// The followee accepts the follow `id`.
    AcceptFollow {
        /// The accepted Follow's id.
        id: &'a str,
        /// Who followed.
        follower: &'a Actor,
        /// Who accepts.
        followee: &'a Actor,
    },
    /// The followee rejects (or ends) the follow `id`.
    RejectFollow {
        /// The rejected Follow's id.
        id: &'a str,
        /// Who followed.
        follower: &'a Actor,
        /// Who rejects.
        followee: &'a Actor,
    },
    /// The follower withdraws the follow `id`.
    UndoFollow {
        /// The withdrawn Follow's id.
        id: &'a str,
        /// Who withdraws.
        follower: &'a Actor,
        /// Who was followed.
        followee: &'a Actor,
    },
    /// A member's profile or section audiences changed: their actor document as everyone may
    /// see it (`Update{Person}`), so that other servers apply the new audiences.
    UpdateActor {
        /// The actor, with what only some may see cleared.
        actor: &'a Actor,
        /// The profile fields everyone may see.
        fields: &'a [enishi_core::ProfileField],
        /// The avatar and header image, if everyone may see them.
        images: &'a enishi_core::media::ProfileImages,
    },
    /// The friendship of local `owner` with `former` ended: `owner`'s servers of remote
    /// friends, which may hold `owner`'s friend list as proof of friends of friends, hear that
    /// `former` left it (`Remove` from the followers collection).
    FriendshipEnded {
        /// Whose friend list changed.
        owner: &'a Actor,
        /// Who is no longer on it.
        former: &'a Actor,
    },
    /// A new diary or voice post.
    CreatePost(&'a PostView),
    /// An edited post, to those who may still see it.
    UpdatePost(&'a PostView),
    /// A post is gone (deleted, or out of reach after an edit narrowed its audience).
    DeletePost {
        /// The post's id.
        ap_id: &'a Url,
        /// Its author.
        author: &'a Actor,
    },
    /// A comment by `author` on `parent`.
    CreateComment {
        /// The comment.
        comment: &'a Comment,
        /// Its author.
        author: &'a Actor,
        /// The post it answers.
        parent: &'a PostView,
    },
    /// The post's author passes a comment on to the post's audience (the conversation owner
    /// redistributes, DESIGN §4).
    ForwardComment {
        /// The comment.
        comment: &'a Comment,
        /// Its author.
        author: &'a Actor,
        /// The post it answers (authored here).
        parent: &'a PostView,
    },
    /// A comment is gone.
    DeleteComment {
        /// The comment's id.
        ap_id: &'a Url,
        /// Who deletes it (its author, or the post's author).
        actor: &'a Actor,
        /// The post it answered.
        parent: &'a PostView,
    },
    /// `actor` likes `parent`.
    Like {
        /// The Like's id.
        id: &'a str,
        /// Who likes.
        actor: &'a Actor,
        /// The post liked.
        parent: &'a PostView,
    },
    /// `actor` withdraws the like `id`.
    UndoLike {
        /// The Like's id.
        id: &'a str,
        /// Who liked.
        actor: &'a Actor,
        /// The post.
        parent: &'a PostView,
    },
    /// `actor` passes the public post `parent` on (`Announce`).
    Boost {
        /// The Announce's id.
        id: &'a str,
        /// Who boosts.
        actor: &'a Actor,
        /// The post passed on.
        parent: &'a PostView,
    },
    /// `actor` takes back the boost `id`.
    UndoBoost {
        /// The Announce's id.
        id: &'a str,
        /// Who boosted.
        actor: &'a Actor,
        /// The post.
        parent: &'a PostView,
    },
    /// The post's server refuses an activity about its object (a reply or like by someone who
    /// may not see it).
    RejectActivity {
        /// Id of the refused activity.
        activity_id: &'a str,
        /// Who refuses (the post's author).
        actor: &'a Actor,
        /// Who sent it.
        to: &'a Actor,
    },
    /// A local writer's introduction of a remote subject, new or edited.
    WriteIntroduction {
        /// The introduction.
        intro: &'a crate::introductions::IntroductionView,
        /// Whether it is an edit (`Update`) rather than new (`Create`).
        edited: bool,
    },
    /// An introduction is gone; `actor` (writer or subject) tells the other.
    DeleteIntroduction {
        /// The introduction's id.
        ap_id: &'a Url,
        /// Who deletes it.
        actor: &'a Actor,
        /// The other party.
        to: &'a Actor,
    },
    /// The local subject's answer to a remote writer's introduction.
    AnswerIntroduction {
        /// The introduction's id.
        ap_id: &'a Url,
        /// The subject, who answers.
        subject: &'a Actor,
        /// The writer.
        writer: &'a Actor,
        /// Shown, refused or hidden.
        answer: IntroductionAnswer,
    },
    /// `blocker` blocks `blocked`.
    Block {
        /// The Block's id.
        id: &'a str,
        /// Who blocks.
        blocker: &'a Actor,
        /// Who is blocked.
        blocked: &'a Actor,
    },
    /// A report forwarded to the reported account's server (`Flag`), from the instance actor:
    /// the reporter is never named.
    Flag {
        /// The Flag's id.
        id: &'a str,
        /// The instance actor.
        actor: &'a Actor,
        /// The account reported.
        target: &'a Actor,
        /// The posts and comments reported (ActivityPub ids).
        objects: &'a [String],
        /// The reporter's comment.
        content: &'a str,
    },
    /// A member moved to `target`, an account elsewhere (`Move`, to their followers).
    Move {
        /// The member's actor.
        actor: &'a Actor,
        /// The new account.
        target: &'a Actor,
    },
    /// A member deleted their account (`Delete` of the actor, to everyone).
    DeleteActor {
        /// The member's actor.
        actor: &'a Actor,
    },
    /// `blocker` lifts the block `id`.
    UndoBlock {
        /// The Block's id.
        id: &'a str,
        /// Who blocked.
        blocker: &'a Actor,
        /// Who was blocked.
        blocked: &'a Actor,
    },
}

/// How a subject's server answers an introduction written elsewhere (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntroductionAnswer {
    /// Shown on the subject's profile (`Accept`).
    Accept,
    /// Refused (`Reject`): the writer is not a friend.
    Reject,
    /// Hidden by the subject after all (`Remove` from the introductions collection).
    Remove,
}

/// Builds the activity for an event. `None` means the event never leaves the instance (a
/// members-only or private post).
pub trait Herald: Send + Sync + std::fmt::Debug {
    /// The activity announcing `event`.
    fn announce(&self, event: &Event<'_>) -> Option<Announcement>;
}

/// Queues the activity for `event`, signed by `signer`, to the inboxes of the remote actors in
/// `recipients`, inside the caller's transaction. Nothing is queued when no recipient is remote
/// or when the event never leaves the instance.
pub async fn announce(
    conn: &impl ConnectionTrait,
    herald: Option<&dyn Herald>,
    signer: &Actor,
    object_key: &str,
    event: Event<'_>,
    recipients: &[Actor],
) -> Result<(), DbErr> {
    let inboxes = outbox::inboxes_for(recipients);
    announce_to(conn, herald, signer, object_key, event, &inboxes).await
}

/// Like [`announce`], to inboxes named directly (servers known to hold a copy of an object,
/// whoever they serve today).
pub async fn announce_to(
    conn: &impl ConnectionTrait,
    herald: Option<&dyn Herald>,
    signer: &Actor,
    object_key: &str,
    event: Event<'_>,
    inboxes: &[url::Url],
) -> Result<(), DbErr> {
    if inboxes.is_empty() || !signer.is_local {
        return Ok(());
    }
    let Some(herald) = herald else {
        // Refuse rather than drop: a change that remote actors must hear of cannot be made
        // by a process that cannot tell them.
        return Err(DbErr::Custom(
            "this process has no federation herald; it cannot announce changes to remote actors"
                .into(),
        ));
    };
    let Some(a) = herald.announce(&event) else {
        return Ok(());
    };
    outbox::enqueue(
        conn,
        Outgoing {
            ap_id: &a.id,
            actor: signer.id,
            object_key,
            body: &a.body,
        },
        inboxes,
    )
    .await?;
    Ok(())
}
