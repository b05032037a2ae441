//! THE audience rule (DESIGN §3): whether a viewer may see a piece of content.
//!
//! Every read path goes through [`may_see`] (single objects) or through a database query
//! derived from it and tested against it (lists). Keep this the only place where audiences
//! are interpreted.

use crate::Audience;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerKind {
    /// Not logged in, or an unsigned request.
    Anonymous,
    /// A logged-in member of this instance.
    Member,
    /// An actor on another server (a signed fetch or a delivery target).
    Remote,
}

/// The viewer of a request: who (if anyone) and of which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// The viewer's actor, unless anonymous.
    pub actor: Option<crate::ActorId>,
    /// Anonymous, local member or remote actor.
    pub kind: ViewerKind,
}

impl Viewer {
    /// Nobody logged in.
    pub const ANONYMOUS: Viewer = Viewer {
        actor: None,
        kind: ViewerKind::Anonymous,
    };

    /// A logged-in local member.
    pub fn member(actor: crate::ActorId) -> Viewer {
        Viewer {
            actor: Some(actor),
            kind: ViewerKind::Member,
        }
    }

    /// A remote actor.
    pub fn remote(actor: crate::ActorId) -> Viewer {
        Viewer {
            actor: Some(actor),
            kind: ViewerKind::Remote,
        }
    }
}

/// What is known about the viewer's relationship to one owner (the author of a post, the
/// subject of a profile). Gathered by the database layer, judged here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Relation {
    /// The viewer is the owner.
    pub is_self: bool,
    /// Viewer and owner are friends (both follows accepted).
    pub friend: bool,
    /// The viewer is a friend of one of the owner's friends, as far as this instance can
    /// prove it (fail closed).
    pub friend_of_friend: bool,
    /// Either of them blocks the other.
    pub blocked: bool,
    /// The viewer is among the recipients this very object names (a post from another server
    /// sent to them directly). Followers-only delivery is not this: see `follows`.
    pub addressed: bool,
    /// The viewer follows the owner now (accepted). For a member of this instance that holds
    /// only between friends; for an owner on another server it is what a followers-only post
    /// of theirs is addressed to, judged as the follow stands today, not when the post came.
    pub follows: bool,
}

impl Relation {
    /// The relation of an owner to themself.
    pub const SELF: Relation = Relation {
        is_self: true,
        friend: false,
        friend_of_friend: false,
        blocked: false,
        addressed: false,
        follows: false,
    };
}

/// Whether a viewer of `kind`, related to the owner as `rel`, may see something with
/// `audience`. The owner always may; a block either way denies everything else.
pub fn may_see(audience: Audience, kind: ViewerKind, rel: Relation) -> bool {
    if rel.is_self {
        return true;
    }
    if rel.blocked {
        return false;
    }
    if rel.addressed {
        return true;
    }
    match audience {
        Audience::Public => true,
        Audience::Members => kind == ViewerKind::Member,
        Audience::FriendsOfFriends => rel.friend || rel.follows || rel.friend_of_friend,
        Audience::Friends => rel.friend || rel.follows,
        Audience::Private => false,
    }
}

/// Whether a viewer may see a comment or like: they must see its parent (judged against the
/// parent's author), and neither they nor the comment's author may block the other.
pub fn may_see_reaction(
    parent_audience: Audience,
    kind: ViewerKind,
    to_parent_author: Relation,
    to_reaction_author: Relation,
) -> bool {
    may_see(parent_audience, kind, to_parent_author) && may_see_reaction_author(to_reaction_author)
}

/// The half of [`may_see_reaction`] about the reaction's author, for callers that have
/// already judged the parent: hidden only by a block between viewer and author.
pub fn may_see_reaction_author(to_reaction_author: Relation) -> bool {
    to_reaction_author.is_self || !to_reaction_author.blocked
}

/// Whether a viewer may see an introduction on a subject's profile: its writer and its subject
/// always may; anyone else needs the introductions section (audience `section`, judged
/// against the subject), the introduction not hidden, and no block with its writer.
pub fn may_see_introduction(
    section: Audience,
    kind: ViewerKind,
    to_subject: Relation,
    to_writer: Relation,
    hidden: bool,
) -> bool {
    if to_subject.is_self || to_writer.is_self {
        return true;
    }
    !hidden && may_see(section, kind, to_subject) && !to_writer.blocked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(is_self: bool, friend: bool, fof: bool, blocked: bool) -> Relation {
        Relation {
            is_self,
            friend,
            friend_of_friend: fof,
            blocked,
            addressed: false,
            follows: false,
        }
    }

    /// Every audience × viewer kind × relationship × block, against a table written out by
    /// hand from DESIGN §3.
    #[test]
    fn every_combination() {
        use Audience::*;
        use ViewerKind::*;
        for audience in Audience::ALL {
            for kind in [Anonymous, Member, Remote] {
                for is_self in [false, true] {
                    for friend in [false, true] {
                        for fof in [false, true] {
                            for blocked in [false, true] {
                                // Anonymous viewers have no relationships.
                                if kind == Anonymous && (is_self || friend || fof || blocked) {
                                    continue;
                                }
                                let expected = if is_self {
                                    true
                                } else if blocked {
                                    false
                                } else {
                                    match audience {
                                        Public => true,
                                        Members => kind == Member,
                                        FriendsOfFriends => friend || fof,
                                        Friends => friend,
                                        Private => false,
                                    }
                                };
                                let r = rel(is_self, friend, fof, blocked);
                                assert_eq!(
                                    may_see(audience, kind, r),
                                    expected,
                                    "{audience:?} {kind:?} {r:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn named_cases() {
        let stranger = Relation::default();
        let friend = rel(false, true, false, false);
        let fof = rel(false, false, true, false);
        let blocked_friend = rel(false, true, false, true);
        assert!(may_see(Audience::Public, ViewerKind::Anonymous, stranger));
        assert!(!may_see(Audience::Members, ViewerKind::Anonymous, stranger));
        assert!(
            !may_see(Audience::Members, ViewerKind::Remote, friend),
            "members never leave"
        );
        assert!(may_see(Audience::Members, ViewerKind::Member, stranger));
        assert!(may_see(Audience::FriendsOfFriends, ViewerKind::Remote, fof));
        assert!(!may_see(Audience::Friends, ViewerKind::Member, fof));
        assert!(
            !may_see(Audience::Public, ViewerKind::Member, blocked_friend),
            "blocks override"
        );
        assert!(!may_see(Audience::Private, ViewerKind::Member, friend));
        assert!(may_see(
            Audience::Private,
            ViewerKind::Member,
            Relation::SELF
        ));
    }

    /// A followers-only post from another server reaches whoever follows its author now; a
    /// follow does not open anything narrower, nor overrides a block.
    #[test]
    fn followers_see_friends_posts_of_whom_they_follow() {
        let follower = Relation {
            follows: true,
            ..Relation::default()
        };
        assert!(may_see(Audience::Friends, ViewerKind::Member, follower));
        assert!(may_see(
            Audience::FriendsOfFriends,
            ViewerKind::Member,
            follower
        ));
        assert!(!may_see(Audience::Private, ViewerKind::Member, follower));
        assert!(!may_see(
            Audience::Friends,
            ViewerKind::Member,
            Relation::default()
        ));
        let blocked = Relation {
            blocked: true,
            ..follower
        };
        assert!(!may_see(Audience::Friends, ViewerKind::Member, blocked));
    }

    #[test]
    fn introductions() {
        let friend = rel(false, true, false, false);
        let stranger = Relation::default();
        let blocked = rel(false, false, false, true);
        let fof = Audience::FriendsOfFriends;
        assert!(may_see_introduction(
            fof,
            ViewerKind::Member,
            friend,
            stranger,
            false
        ));
        assert!(
            !may_see_introduction(fof, ViewerKind::Member, friend, stranger, true),
            "hidden"
        );
        assert!(
            may_see_introduction(fof, ViewerKind::Member, Relation::SELF, stranger, true),
            "subject"
        );
        assert!(
            may_see_introduction(
                Audience::Private,
                ViewerKind::Member,
                stranger,
                Relation::SELF,
                true
            ),
            "writer"
        );
        assert!(!may_see_introduction(
            fof,
            ViewerKind::Member,
            stranger,
            stranger,
            false
        ));
        assert!(!may_see_introduction(
            Audience::Public,
            ViewerKind::Member,
            friend,
            blocked,
            false
        ));
    }

    #[test]
    fn reactions_follow_their_parent_and_blocks() {
        let friend = rel(false, true, false, false);
        let stranger = Relation::default();
        let blocked = rel(false, false, false, true);
        assert!(may_see_reaction(
            Audience::Friends,
            ViewerKind::Member,
            friend,
            stranger
        ));
        assert!(!may_see_reaction(
            Audience::Friends,
            ViewerKind::Member,
            stranger,
            stranger
        ));
        assert!(!may_see_reaction(
            Audience::Public,
            ViewerKind::Member,
            friend,
            blocked
        ));
        assert!(may_see_reaction(
            Audience::Public,
            ViewerKind::Member,
            friend,
            Relation::SELF
        ));
    }
}
